// Runs systemd-cgroup.test.ts in the test VM with systemd as PID 1
// (spec-tests/vm, systemd mode: the host's / under a tmpfs overlay, the
// D-Bus system bus up): one boot for the whole file; each of its results
// comes back as a test here.
import { suiteInVmTest } from './vm/suite-in-vm.js';

suiteInVmTest('config-linux.md "Control groups": the systemd cgroup driver, with systemd as PID 1 in the test VM', 'dist/spec-tests/systemd-cgroup.test.js', {
  memoryMb: 1536,
  systemd: true,
});
