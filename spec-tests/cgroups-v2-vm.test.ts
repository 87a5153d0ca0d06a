// Runs cgroups-v2.test.ts in the pure cgroup v2 test VM (spec-tests/vm/):
// one boot for the whole file; each of its results comes back as a test here.
import { suiteInVmTest } from './vm/suite-in-vm.js';

suiteInVmTest('config-linux.md "Control groups" on cgroup v2, in the test VM', 'dist/spec-tests/cgroups-v2.test.js', {
  memoryMb: 1536,
  env: { TSRUN_CGROUP_V2_VM: '1' },
});
