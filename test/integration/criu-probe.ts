// Whether CRIU can checkpoint and restore a container on this host at all,
// asked of the reference runtime (runc) and not of tsrun: whether it can
// depends on the host's kernel build (CRIU 4.1.1's dump hung, for runc and
// tsrun alike, on one build of 6.18 and works on another). The host CRIU test
// files skip, saying why, when runc cannot: a counter container run, dumped,
// restored and counting on, within one deadline. Everything the probe made
// goes, also when CRIU hangs: its criu is killed, the container deleted.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CriuGuard } from './criu-guard.js';
import { baseConfig, hasRunc } from './harness.js';

/** The whole probe's deadline: a dump and a restore take a few seconds where CRIU works. */
export const PROBE_MS = 60_000;
/** Where checkpoint and restore are tested in a kernel of the test's own. */
const VM_TEST = 'spec-tests/checkpoint-vm.test.ts';
/** run-tests.js probes once for the whole run and hands the result down in this variable. */
export const PROBE_ENV = 'TSRUN_CRIU_PROBE';

/** The criu both runtimes are given; the tests need one that passes `criu check`. */
export function findCriu(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/local/sbin', '/usr/sbin')) {
    const p = path.join(dir, 'criu');
    if (fs.existsSync(p) && spawnSync(p, ['check'], { stdio: 'ignore' }).status === 0) return p;
  }
  return undefined;
}

interface Step {
  code: number;
  stdout: string;
  timedOut: boolean;
}

/**
 * Runs argv in a process group of its own; past ms the whole group is
 * SIGKILLed. stdout is read only with capture: a container that `run -d`
 * starts keeps the stdio it is given, so a pipe there would not close.
 */
function step(argv: string[], ms: number, capture = false): Promise<Step> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', capture ? 'pipe' : 'ignore', 'ignore'], detached: true });
    let stdout = '';
    child.stdout?.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      // Whatever else holds the pipe, the step is over.
      child.stdout?.destroy();
      resolve({ code: -1, stdout, timedOut: true });
    }, Math.max(ms, 1));
    child.on('error', () => undefined);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, timedOut: false });
    });
  });
}

/** The last lines of a log file, on one line. */
function tail(file: string, lines = 6): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => l.trim()).join(' | ');
  } catch {
    return '';
  }
}

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout ?? '').split('\n')[0].replace(/^(Version|runc version):?\s*/, '').trim() || 'unknown';
}

/**
 * Runs the probe: false when runc can checkpoint and restore a counter
 * container with this criu, else why not (a skip reason naming the kernel,
 * the versions, the step that failed and the end of CRIU's log).
 */
export async function probeCriu(criu: string, ms = PROBE_MS): Promise<string | false> {
  if (!hasRunc) return false; // No reference to ask: the suites run, bounded by their own step timeouts.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-criu-probe-'));
  const guard = new CriuGuard(criu);
  const root = path.join(dir, 'root');
  const bundle = path.join(dir, 'bundle');
  const images = path.join(dir, 'images');
  const runcLog = path.join(dir, 'runc.log');
  const id = `tsrun-criu-probe-${process.pid}`;
  fs.mkdirSync(bundle);
  const counter = 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done';
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(baseConfig(['/bin/sh', '-c', counter])));
  const end = Date.now() + ms;
  const runc = (args: string[], capture = false) => step(['runc', '--root', root, '--log', runcLog, '--criu', guard.criu, ...args], end - Date.now(), capture);
  const count = async (): Promise<number> => Number((await runc(['exec', id, 'cat', '/tmp/count'], true)).stdout.trim() || 0);
  const counted = async (n: number): Promise<number> => {
    let c = 0;
    while ((c = await count()) < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return c;
  };
  let failed: string | undefined;
  const run = async (what: string, args: string[], log?: string): Promise<boolean> => {
    fs.rmSync(runcLog, { force: true });
    const r = await runc(args);
    if (r.code === 0) return true;
    const why = r.timedOut ? `was still running at the probe's ${Math.round(ms / 1000)} s deadline (killed, with its criu)` : `failed (exit ${r.code}): ${tail(runcLog, 3)}`;
    const criuLog = log ? tail(path.join(images, log)) : '';
    failed = `\`runc ${what}\` ${why}${criuLog ? `; ${log} ends: ${criuLog}` : ''}`;
    return false;
  };
  try {
    if (!(await run('run -d', ['run', '-d', '--bundle', bundle, id]))) return reason(criu, failed!);
    const before = await counted(5);
    if (before < 5) return reason(criu, `the counter container did not count to 5 under runc within ${ms / 1000} s`);
    if (!(await run('checkpoint', ['checkpoint', '--image-path', images, id], 'dump.log'))) return reason(criu, failed!);
    if (!(await run('restore -d', ['restore', '-d', '--image-path', images, '--bundle', bundle, id], 'restore.log'))) return reason(criu, failed!);
    const after = await counted(before + 3);
    if (after < before + 3) return reason(criu, `the counter did not go on after runc's restore (${before} before, ${after} after)`);
    return false;
  } finally {
    await guard.reap();
    await step(['runc', '--root', root, 'delete', '-f', id], 10_000);
    // CRIU's cgroup yard, if a killed restore left it mounted under the images.
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
    for (const m of mounts.filter((m) => m.startsWith(`${dir}/`)).reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(guard.dir, { recursive: true, force: true });
  }
}

function reason(criu: string, failure: string): string {
  return (
    `CRIU cannot checkpoint and restore a container on this host (kernel ${os.release()}, criu ${versionOf(criu, ['--version'])}, ` +
    `runc ${versionOf('runc', ['--version'])}): ${failure}. The host CRIU tests skip; ${VM_TEST} tests checkpoint and restore in the VM's own kernel`
  );
}

function bootId(): string {
  return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** The probe's result as run-tests.js hands it to the test files: for this boot and this criu only. */
export function encodeProbe(criu: string, result: string | false): string {
  return JSON.stringify({ boot: bootId(), criu, result });
}

/**
 * Why the host CRIU tests cannot run here, or false: the result run-tests.js
 * got for this boot and criu, else the probe's (run now).
 */
export async function criuSkip(criu: string): Promise<string | false> {
  try {
    const cached = JSON.parse(process.env[PROBE_ENV] ?? '');
    if (cached.boot === bootId() && cached.criu === criu && (cached.result === false || typeof cached.result === 'string')) return cached.result;
  } catch {
    // not set, or not ours: probe
  }
  return probeCriu(criu);
}
