// Runs a command in the cgroup v2 test VM: qemu (TCG) boots the installed
// Debian kernel with cgroup_no_v1=all and the initramfs of build-initramfs,
// whose /init (vm-init) chroots into the host's / (shared read-only over 9p)
// and runs the command as root. The host's node, the built project and runc
// are all there, at the same paths.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();
const buildScript = path.join(repoRoot, 'spec-tests', 'vm', 'build-initramfs');

export interface VmOptions {
  /** Hard limit for boot + command + power-off; qemu is killed after it. Default 5 minutes. */
  timeoutMs?: number;
  /** Guest memory. Default 1024. */
  memoryMb?: number;
  /** Guest CPUs. Default 2. */
  cpus?: number;
  /** NUMA nodes: the memory split evenly among them, the CPUs dealt out in turn. Default: none (one node). */
  numaNodes?: number;
  /** The command's directory in the guest. Default: the repository. */
  cwd?: string;
  /** Added to the command's environment (PATH, HOME and LANG are set already). */
  env?: Record<string, string>;
  /**
   * Boot systemd as PID 1 (vm-init's systemd mode): the host's / under a
   * tmpfs overlay, the D-Bus system bus up, and the command run as a service.
   */
  systemd?: boolean;
}

export interface VmResult {
  /** The command's exit status; 128+N when a signal N killed it. */
  code: number;
  stdout: string;
  stderr: string;
  /** The serial console: kernel messages and vm-init's progress lines. */
  console: string;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin')
    .split(':')
    .some((dir) => dir !== '' && fs.existsSync(path.join(dir, cmd)));
}

/** false when the VM can boot here (in its systemd mode with systemd set); otherwise why not. */
export function vmAvailable(opts: { systemd?: boolean } = {}): string | false {
  if (opts.systemd && !fs.existsSync('/lib/systemd/systemd')) return "the test VM's systemd mode boots the host's systemd: there is none (apt-get install systemd)";
  if (opts.systemd && !onPath('dbus-daemon')) return "the test VM's systemd mode starts the host's D-Bus system bus: no dbus-daemon (apt-get install dbus)";
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the test VM needs x86-64 Linux';
  if (process.getuid?.() !== 0) return 'the test VM needs root (it reads /boot and shares / with passthrough 9p)';
  if (!onPath('qemu-system-x86_64')) return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)';
  if (!onPath('busybox')) return 'busybox is not installed (apt-get install busybox-static)';
  const kernels = fs.existsSync('/boot') ? fs.readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')) : [];
  if (!kernels.some((f) => fs.existsSync(`/lib/modules/${f.slice('vmlinuz-'.length)}/modules.dep`))) {
    return 'no kernel in /boot with its modules in /lib/modules (apt-get install linux-image-amd64)';
  }
  return false;
}

/** Builds (or finds in the cache) the initramfs; returns the kernel and initramfs paths. */
function bootFiles(): { kernel: string; initrd: string } {
  const r = spawnSync(buildScript, [], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-initramfs failed: ${r.stderr || r.error?.message}`);
  const [kernel, initrd] = r.stdout.trim().split('\n');
  return { kernel, initrd };
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell text vm-init runs in the chroot: a clean environment, the cwd, then exec. */
function commandScript(command: string[], opts: VmOptions): string {
  const env: Record<string, string> = {
    // The host's node first, so `node` in the guest is the one running this.
    PATH: `${path.dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: '/root',
    LANG: 'C.UTF-8',
    ...opts.env,
  };
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`);
  return [...exports, `cd ${shQuote(opts.cwd ?? repoRoot)} || exit 125`, `exec ${command.map(shQuote).join(' ')}`, ''].join('\n');
}

const tail = (text: string, lines: number) => text.split('\n').slice(-lines).join('\n');

/**
 * Boots the VM, runs command (an argv, looked up on PATH) in it and returns
 * its result. Each call is one boot (about 12 s under TCG), so run a whole
 * test file per call, e.g. runInVm(['node', '--test', 'dist/spec-tests/x.test.js']).
 * Rejects when the VM does not come back with an exit status (boot failure,
 * timeout), with the end of the serial console in the message.
 */
/** qemu's -numa nodes, each with its own RAM backend (newer machine types require memdev). */
function numaArgs(opts: VmOptions): string[] {
  const nodes = opts.numaNodes ?? 0;
  if (nodes < 2) return [];
  const memory = opts.memoryMb ?? 1024;
  const cpus = opts.cpus ?? 2;
  if (memory % nodes || cpus < nodes) throw new Error(`runInVm: ${nodes} NUMA nodes need memoryMb divisible by them and a CPU each`);
  const args: string[] = [];
  for (let n = 0; n < nodes; n++) {
    const mine = Array.from({ length: cpus }, (_, c) => c).filter((c) => c % nodes === n);
    args.push('-object', `memory-backend-ram,id=mem${n},size=${memory / nodes}M`);
    args.push('-numa', `node,nodeid=${n},memdev=mem${n},${mine.map((c) => `cpus=${c}`).join(',')}`);
  }
  return args;
}

export async function runInVm(command: string[], opts: VmOptions = {}): Promise<VmResult> {
  if (command.length === 0) throw new Error('runInVm: empty command');
  const { kernel, initrd } = bootFiles();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const io = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-vm-io-'));
  try {
    fs.writeFileSync(path.join(io, 'command'), commandScript(command, opts));
    fs.writeFileSync(path.join(io, 'repo'), repoRoot);
    const qemu = [
      'qemu-system-x86_64',
      ...['-accel', 'tcg', '-cpu', 'max', '-m', String(opts.memoryMb ?? 1024), '-smp', String(opts.cpus ?? 2)],
      ...numaArgs(opts),
      // No default devices: only the serial console (on stdout) and the 9p shares.
      ...['-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot'],
      ...['-kernel', kernel, '-initrd', initrd],
      // panic=-1 with -no-reboot: if vm-init dies, qemu exits instead of hanging.
      ...['-append', `console=ttyS0 cgroup_no_v1=all quiet panic=-1${opts.systemd ? ' tsrun.systemd systemd.show_status=0' : ''}`],
      ...['-virtfs', 'local,path=/,mount_tag=tsrun-root,security_model=passthrough,readonly=on,multidevs=remap'],
      // (qemu's option syntax escapes a comma in a value by doubling it.)
      ...['-virtfs', `local,path=${io.replace(/,/g, ',,')},mount_tag=tsrun-io,security_model=passthrough`],
      ...['-virtfs', `local,path=${repoRoot.replace(/,/g, ',,')},mount_tag=tsrun-repo,security_model=passthrough,readonly=on,multidevs=remap`],
    ];
    // timeout(1) holds the hard limit, so qemu dies on time even if this
    // process is killed first. --foreground keeps qemu in our process group,
    // so a Ctrl-C of the test run reaches it too.
    const start = Date.now();
    const child = spawn('timeout', ['--foreground', '--signal=KILL', `${Math.ceil(timeoutMs / 1000)}s`, ...qemu], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // If this process exits first, timeout(1) passes the TERM on to qemu,
    // and the finally below will not run.
    const killOnExit = () => {
      child.kill('SIGTERM');
      fs.rmSync(io, { recursive: true, force: true });
    };
    process.on('exit', killOnExit);
    let serial = '';
    let qemuErr = '';
    child.stdout.on('data', (d: Buffer) => {
      serial = (serial + d.toString()).slice(-256 * 1024);
      if (process.env.TSRUN_VM_VERBOSE) process.stderr.write(d);
    });
    child.stderr.on('data', (d: Buffer) => (qemuErr = (qemuErr + d.toString()).slice(-16 * 1024)));
    const exit = await new Promise<string>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(signal ?? String(code)));
    }).finally(() => process.off('exit', killOnExit));

    const statusFile = path.join(io, 'status');
    if (!fs.existsSync(statusFile)) {
      const elapsed = Date.now() - start;
      const why =
        elapsed >= timeoutMs - 1000
          ? `timed out after ${Math.round(elapsed / 1000)} s`
          : `stopped without the command's exit status (qemu exit ${exit})`;
      const log = serial.trim() ? tail(serial, 40) : '(empty: the kernel did not get as far as the console)';
      // What the command wrote so far (vm-init writes its output into the io share as it goes): the test it hung in.
      const partial = (name: string) => {
        const text = fs.existsSync(path.join(io, name)) ? fs.readFileSync(path.join(io, name), 'utf8') : '';
        return text.trim() ? `\n--- the command's ${name} so far (end) ---\n${tail(text, 40)}` : '';
      };
      throw new Error(
        `test VM ${why}\n--- serial console (end) ---\n${log}` + partial('stdout') + partial('stderr') + (qemuErr ? `\n--- qemu stderr ---\n${tail(qemuErr, 20)}` : ''),
      );
    }
    return {
      code: Number(fs.readFileSync(statusFile, 'utf8').trim()),
      stdout: fs.readFileSync(path.join(io, 'stdout'), 'utf8'),
      stderr: fs.readFileSync(path.join(io, 'stderr'), 'utf8'),
      console: serial,
    };
  } finally {
    fs.rmSync(io, { recursive: true, force: true });
  }
}
