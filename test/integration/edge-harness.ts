// What the runc edge-rule tests (edge-*.test.ts, docs/runc-compat.md) share:
// finding tsrun-init processes, waiting, reading an error line, and an async
// tsrun whose stdio goes to files.
import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processLives, Runtime, skipUnlessRoot, sleep, uniqueId, type Result } from './harness.js';

/**
 * One suite of edge rules: a Runtime and a scratch directory of its own,
 * both cleaned up after the suite (as root only: they run real containers).
 */
export function edgeSuite(title: string, body: (s: { rt: Runtime; scratch: string }) => void): void {
  describe(`runc edge rules: ${title}`, { skip: skipUnlessRoot }, () => {
    if (skipUnlessRoot) return;
    const rt = new Runtime();
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-edge-scratch-'));
    after(() => {
      rt.cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
    });
    body({ rt, scratch });
  });
}

export const hasPythonCtypes = spawnSync('python3', ['-c', 'import ctypes']).status === 0;

/** Pids of live tsrun-init processes (pgrep -x tsrun-init). */
export function tsrunInits(): Set<number> {
  const r = spawnSync('pgrep', ['-x', 'tsrun-init'], { encoding: 'utf8' });
  return new Set(r.stdout.split('\n').filter(Boolean).map(Number).filter(processLives));
}

export function fdLinks(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
  } catch {
    return [];
  }
}

/** Live tsrun-init processes holding a file under root (the exec.fifo): this root's inits. */
export function initsUnder(root: string): number[] {
  return [...tsrunInits()].filter((pid) => fdLinks(pid).some((l) => l.startsWith(root + '/'))).sort();
}

/**
 * tsrun-init processes that appeared since `before` and are still alive.
 * Other test files may run containers meanwhile (npm test runs two files at a
 * time), so a new init only counts against us if it holds a file under our
 * root or bundle, or stays unattributable: an init that is exiting has
 * closed its fds before it becomes a zombie, so one with none readable is
 * looked at again for a while before it counts.
 */
export function newInits(before: Set<number>, root: string, bundle: string): number[] {
  const ours = (pid: number): boolean | undefined => {
    const links = fdLinks(pid);
    if (!processLives(pid)) return false;
    if (links.length === 0) return undefined;
    return links.some((l) => l.startsWith(root + '/') || l.startsWith(bundle + '/'));
  };
  const found: number[] = [];
  for (const pid of tsrunInits()) {
    if (before.has(pid)) continue;
    let verdict = ours(pid);
    for (let i = 0; i < 100 && verdict === undefined; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      verdict = ours(pid);
    }
    if (verdict !== false) found.push(pid);
  }
  return found;
}

/** Polls until fn() is true. */
export async function until(what: string, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

// Every tsrun command costs a node start-up, and this whole file must
// finish within --test-timeout: waits watch the container's own output and
// /proc rather than polling `tsrun state`.

/**
 * Starts a foreground `run` of a container that prints "ready" once it runs
 * (after installing any trap); resolves then, and fails at once if the run
 * ends first.
 */
export async function runUntilReady(rt: Runtime, bundle: string, id: string): Promise<ReturnType<Runtime['spawn']>> {
  const run = rt.spawn(['run', '--bundle', bundle, id]);
  let out = '';
  run.child.stdout!.on('data', (d) => (out += d));
  let ended: Result | undefined;
  void run.done.then((r) => (ended = r));
  await until(`${id} prints ready`, () => {
    if (ended) assert.fail(`run of ${id} ended before the process was ready: rc ${ended.code}, stderr ${JSON.stringify(ended.stderr)}`);
    return out.includes('ready\n');
  });
  return run;
}

/** Waits until the init is gone (or a zombie), then checks that tsrun says stopped. */
export async function waitStopped(rt: Runtime, id: string, pid: number): Promise<void> {
  await until(`the init ${pid} of ${id} is gone`, () => !processLives(pid));
  assert.equal(rt.state(id).status, 'stopped');
}

/** Bare message of the last logrus text line on stderr. */
export function errorMsg(stderr: string): string {
  const line = stderr.trimEnd().split('\n').pop() ?? '';
  const m = /level=error msg=("(?:[^"\\]|\\.)*"|\S*)$/.exec(line);
  if (!m) return line;
  return m[1].startsWith('"') ? JSON.parse(m[1]) : m[1];
}

/** Removes a test's own root whatever happened (the test asserts what must be left first). */
export function dispose(r: Runtime): void {
  for (const id of r.ids()) r.run(['delete', '--force', id]);
  fs.rmSync(r.root, { recursive: true, force: true });
}

export const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

/** An async `tsrun` (of runtime r) whose stdio goes to files in scratch: resolves when tsrun exits, not when a container closes its copy. */
export function runAsync(r: Runtime, scratch: string, args: string[], cwd?: string): Promise<Result> {
  const tag = uniqueId('io');
  const outFile = path.join(scratch, `${tag}.out`);
  const errFile = path.join(scratch, `${tag}.err`);
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  const child: ChildProcess = spawn(r.bin, ['--root', r.root, ...args], { cwd, stdio: ['ignore', out, err] });
  fs.closeSync(out);
  fs.closeSync(err);
  return new Promise<Result>((resolve) =>
    child.on('exit', (code, sig) =>
      resolve({
        code: code ?? 128 + (sig ? os.constants.signals[sig] : 0),
        stdout: fs.readFileSync(outFile, 'utf8'),
        stderr: fs.readFileSync(errFile, 'utf8'),
      }),
    ),
  );
}
