// Runs exec-cgroup.test.ts in the pure cgroup v2 test VM (spec-tests/vm/):
// exec --cgroup beside runc on v2, and clone3(CLONE_INTO_CGROUP) checked by
// the kernel's pids count, which needs pids in the unified hierarchy.
import { suiteInVmTest } from './vm/suite-in-vm.js';

suiteInVmTest('config-linux.md "Control groups": exec --cgroup and CLONE_INTO_CGROUP on cgroup v2, in the test VM', 'dist/spec-tests/exec-cgroup.test.js', {
  memoryMb: 1536,
  env: { TSRUN_CGROUP_V2_VM: '1' },
});
