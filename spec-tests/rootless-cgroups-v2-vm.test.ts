// Runs rootless-cgroups-v2.test.ts in the pure cgroup v2 test VM (spec-tests/vm/):
// config-linux.md "Control groups" for a rootless container with a delegated subtree.
import { suiteInVmTest } from './vm/suite-in-vm.js';

suiteInVmTest('config-linux.md "Control groups": rootless, delegated cgroup v2, in the test VM', 'dist/spec-tests/rootless-cgroups-v2.test.js', {
  memoryMb: 1536,
  env: { TSRUN_CGROUP_V2_VM: '1' },
});
