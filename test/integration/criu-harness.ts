// What the checkpoint and restore tests share: the criu both runtimes are
// given (one that passes `criu check`), commands run with it, and probes of
// a container's counter, cgroups, frozen state and CRIU's own mounts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CriuGuard, descendants } from './criu-guard.js';
import { criuSkip, findCriu } from './criu-probe.js';
import { cgroupsOf } from './fuzz-leaks.js';
import { makeBundle, repoRoot, runToFiles, Runtime, skipUnlessRoot, sleep, uniqueId, type Result } from './harness.js';

export { descendants, findCriu };

export const CRIU = skipUnlessRoot ? undefined : findCriu();
export const skip = skipUnlessRoot || (CRIU ? false : 'no criu that passes `criu check` (run scripts/setup-criu)');

/**
 * Why the host CRIU tests cannot run here, or false: no root, no criu, or
 * the probe found that CRIU cannot checkpoint and restore runc's container
 * on this kernel (criu-probe).
 */
export async function hostSkip(): Promise<string | false> {
  return skip || criuSkip(CRIU!);
}

/**
 * How long one CRIU step (a checkpoint or restore) may take: seconds where
 * CRIU works, so a hang fails its test in bounded time, well before the
 * suite's timeout (SUITE_MS).
 */
export const STEP_MS = 45_000;
export const SUITE_MS = 15 * 60_000;

let guard: CriuGuard | undefined;
/**
 * From now on the runtimes get a criu that the returned guard records, so
 * that a hung one can be killed (after a timed-out step, and by the suite's
 * cleanup: guard.reap()). Once per test file.
 */
export function guardCriu(): CriuGuard {
  guard ??= new CriuGuard(CRIU!);
  return guard;
}
const criuBin = () => guard?.criu ?? CRIU!;

export type Rt = Runtime;

/** After a step that timed out: its criu may still run (runc leaves it), so every criu of the guard's goes. */
function timedOut(what: string): string {
  const killed = guard?.killAll() ?? [];
  return `\n${what} timed out after ${STEP_MS / 1000} s${killed.length ? `; killed the criu still running (pids ${killed.join(', ')})` : ''}`;
}

/** A command whose stdio is /dev/null (a detached container keeps it); errors come from --log. */
export function detached(rt: Rt, args: string[], cwd?: string): Result {
  const log = path.join(rt.root, `.log-${process.pid}`);
  fs.rmSync(log, { force: true });
  const r = spawnSync(rt.bin, ['--root', rt.root, '--log', log, '--criu', criuBin(), ...args], { cwd, stdio: 'ignore', timeout: STEP_MS });
  let stderr = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  fs.rmSync(log, { force: true });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') stderr += timedOut(`${path.basename(rt.bin)} ${args.join(' ')}`);
  return { code: r.status ?? 128, stdout: '', stderr };
}

/** A checkpoint or restore run to completion, within STEP_MS. */
export function criu(rt: Rt, args: string[]): Result {
  const { result, error } = runToFiles(rt.bin, ['--root', rt.root, '--criu', criuBin(), ...args], rt.root, { timeout: STEP_MS });
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') result.stderr += timedOut(`${path.basename(rt.bin)} ${args.join(' ')}`);
  return result;
}

/**
 * The counter the container keeps in a shell variable, as it last wrote it to
 * its tmpfs. The shell's `>` truncates before it writes, so a read can land in
 * between and find the file empty: read again then (timeout: each exec's).
 */
export function count(rt: Rt, id: string, timeout?: number): number {
  for (let i = 0; ; i++) {
    const r = rt.run(['exec', id, 'cat', '/tmp/count'], timeout === undefined ? {} : { timeout });
    assert.equal(r.code, 0, `exec in ${id}: ${r.stderr}`);
    if (r.stdout.trim() !== '' || i === 20) return Number(r.stdout.trim());
  }
}

export async function countAtLeast(rt: Rt, id: string, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const c = rt.run(['exec', id, 'cat', '/tmp/count']);
    if (c.code === 0 && Number(c.stdout.trim()) >= n) return Number(c.stdout.trim());
    await sleep(50);
  }
  assert.fail(`${id}'s counter did not reach ${n}`);
}

export const COUNTER = ['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done'];

/** The container's cgroup directories (every hierarchy), from its init. */
export function cgroupDirs(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
    const [, ctrl, p] = l.split(':');
    const name = ctrl === '' ? 'unified' : ctrl.replace(/^name=/, '');
    return path.join('/sys/fs/cgroup', name, p);
  }).filter((d) => fs.existsSync(d) && d !== '/sys/fs/cgroup/unified/');
}

/** tsrun's cgroups for id, wherever the root's parent put them, in any hierarchy. */
export function cgroupsNamed(id: string): string[] {
  return cgroupsOf(id).filter((d) => path.basename(d) === id);
}

/** Whether the cgroup pid is in now is frozen; its directories are read once, here (pid may die meanwhile). */
export function frozenProbe(pid: number): () => boolean {
  const dirs = cgroupDirs(pid);
  const freezer = dirs.find((d) => d.includes('/freezer/'));
  const unified = dirs.find((d) => d.includes('/unified/') || !d.slice('/sys/fs/cgroup/'.length).includes('/'));
  return () => {
    try {
      if (freezer) return fs.readFileSync(path.join(freezer, 'freezer.state'), 'utf8').trim() !== 'THAWED';
      return !!unified && fs.readFileSync(path.join(unified, 'cgroup.freeze'), 'utf8').trim() === '1';
    } catch {
      return false; // the cgroup is gone
    }
  };
}

export function isFrozen(pid: number): boolean {
  return frozenProbe(pid)();
}

export function pidOf(rt: Rt, id: string): number {
  return rt.state(id).pid as number;
}

export function scratchDir(dirs: string[], name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-criu-${name}-`));
  dirs.push(d);
  return d;
}

/** bundles/console-receiver on a fresh socket; done resolves with what the terminal printed. */
export async function startReceiver(dir: string) {
  const sock = path.join(dir, `console-${uniqueId('s')}.sock`);
  const ready = `${sock}.ready`;
  const out = `${sock}.out`;
  const child = spawn(path.join(repoRoot, 'bundles', 'console-receiver'), [sock, '--once-ready', ready, '--output', out, '--input', ''], { stdio: 'ignore' });
  const done = new Promise<string>((resolve) => child.on('close', () => resolve(fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '')));
  for (let i = 0; i < 200 && !fs.existsSync(ready); i++) await sleep(10);
  assert.ok(fs.existsSync(ready), 'console-receiver did not start');
  return { sock, done, child };
}

/** A command run in the background; done resolves with its exit code and stderr. */
export function background(rt: Rt, args: string[], o: { cwd?: string; fds?: number[] } = {}) {
  const child = spawn(rt.bin, ['--root', rt.root, '--criu', criuBin(), ...args], { cwd: o.cwd, stdio: ['ignore', 'ignore', 'pipe', ...(o.fds ?? [])] });
  guard?.track(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((r) => child.on('close', (c, sig) => r({ code: c ?? (sig ? 128 : 1), stdout: '', stderr })));
  return { child, done };
}

/** Resolves with what came first: p's value, or undefined after ms. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, sleep(ms).then(() => undefined)]);
}

/** CRIU's own mounts (the restore's cgroup yard) still under dir. */
export function criuMountsUnder(dir: string): string[] {
  const real = fs.realpathSync(dir);
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${real}/`));
}

/** A free TCP port on 127.0.0.1 for a page server. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}


/**
 * checkpoint --status-fd, as runc takes it: a fifo whose write end goes to the
 * checkpoint as fd 3 (runc wants O_WRONLY); cp runs it. Resolves to what came
 * back: the bytes read before the fifo closed or tries × 50 ms passed (CRIU
 * writes one \0 once its page server listens).
 */
export async function statusFdByte(dir: string, tries: number, cp: (statusFd: number) => void): Promise<Buffer> {
  const fifo = path.join(dir, 'status');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const statusR = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const statusW = fs.openSync(fifo, fs.constants.O_WRONLY);
  cp(statusW);
  fs.closeSync(statusW);
  const status = Buffer.alloc(2);
  let got = 0;
  try {
    for (let i = 0; i < tries && got === 0; i++) {
      try {
        got = fs.readSync(statusR, status, 0, 2, null);
        if (got === 0) break; // closed without a byte
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        await sleep(50);
      }
    }
  } finally {
    fs.closeSync(statusR);
  }
  return status.subarray(0, got);
}

/**
 * A bundle with a server and a client on 127.0.0.1 in the container's own
 * network namespace: the client sends line-N each time /tmp/go-N appears, the
 * server appends what it reads to /tmp/received.
 */
export function tcpPairBundle(): string {
  const script = [
    'ip link set lo up',
    // busybox nc ends at EOF on its stdin: the server's never comes.
    'sleep 100000 | nc -l -p 7777 > /tmp/received &',
    'sleep 0.3',
    '(n=0; while true; do n=$((n+1)); while [ ! -e /tmp/go-$n ]; do sleep 0.05; done; echo line-$n; done) | nc 127.0.0.1 7777 &',
    'wait',
  ].join('\n');
  const caps = ['CAP_NET_ADMIN'];
  return makeBundle(['/bin/sh', '-c', script], (c) => {
    c.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
  });
}
