// Runs checkpoint-v2.test.ts in the pure cgroup v2 test VM (spec-tests/vm/,
// Debian's 6.1 kernel): CRIU's checkpoint and restore beside runc's, with
// cgroup.freeze and the v2 limits. One boot for the whole file, in the VM's
// systemd mode: there PID 1 has switched its root as on a real machine, so
// the kernel loads the modules CRIU needs (nf_tables, sock_diag) with the
// root's modprobe, and a process that joins a container's mount namespace
// (exec, CRIU) lands in the container's root. In the plain mode PID 1 stays
// in the initramfs and runs the command in a chroot: `criu check` fails
// there ("kerndat_has_nftables_concat failed": no modprobe to load
// nf_tables), and setns into a container's mount namespace lands in the
// initramfs' root rather than the container's, for runc as for tsrun.
import { suiteInVmTest } from './vm/suite-in-vm.js';

suiteInVmTest('CRIU checkpoint and restore on cgroup v2 (runtime.md "Lifecycle", config-linux.md "Control groups"), in the test VM', 'dist/spec-tests/checkpoint-v2.test.js', {
  memoryMb: 1536,
  systemd: true,
  env: { TSRUN_CGROUP_V2_VM: '1' },
});
