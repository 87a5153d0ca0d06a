// By hand: node dist/spec-tests/vm/run.js <command…> runs the command in the
// cgroup v2 test VM (as root, in the repository) and exits with its status.
// TSRUN_VM_SYSTEMD=1 boots it with systemd as PID 1 (VmOptions.systemd).
import { runInVm, vmAvailable } from './run-in-vm.js';

const command = process.argv.slice(2);
if (command.length === 0) {
  console.error('usage: node dist/spec-tests/vm/run.js <command> [args…]');
  process.exit(2);
}
const unavailable = vmAvailable();
if (unavailable) {
  console.error(`the test VM cannot run here: ${unavailable}`);
  process.exit(1);
}
try {
  const r = await runInVm(command, { timeoutMs: Number(process.env.TSRUN_VM_TIMEOUT_MS) || undefined, systemd: process.env.TSRUN_VM_SYSTEMD === '1' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.code;
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
