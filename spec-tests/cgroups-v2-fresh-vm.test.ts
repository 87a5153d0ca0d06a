// Runs cgroups-v2-fresh.test.ts in the pure cgroup v2 test VM (spec-tests/vm/),
// from a fresh boot: the root cgroup enables no controller, as on a host
// without systemd. One boot for the whole file; each of its results comes
// back as a test here. (cgroups-v2-vm.test.ts runs the main v2 suite, which
// enables the controllers first, as systemd would.)
import { suiteInVmTest } from './vm/suite-in-vm.js';

suiteInVmTest('config-linux.md "Control groups" on cgroup v2 from a root that enables nothing, in the test VM', 'dist/spec-tests/cgroups-v2-fresh.test.js', {
  memoryMb: 1536,
  env: { TSRUN_CGROUP_V2_FRESH_VM: '1' },
});
