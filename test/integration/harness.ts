// Shared by the integration tests: run bin/tsrun (and runc) against a temp
// --root, make bundles on a shared busybox rootfs, and check nothing leaked.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();
export const tsrunBin = path.join(repoRoot, 'bin', 'tsrun');
export const isRoot = process.getuid?.() === 0;
export const hasRunc = spawnSync('runc', ['--version']).status === 0;
export const skipUnlessRoot = isRoot ? false : 'needs root: runs real containers';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs cmd to completion. stdout and stderr go to files in dir, not pipes: a
 * created container (or a daemon's child) keeps the stdio it was given, so a
 * pipe would not see EOF until it exits. error: the spawn's own failure, if any.
 */
export function runToFiles(
  cmd: string,
  args: string[],
  dir: string,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout: number },
): { result: Result; error?: Error } {
  const outFile = path.join(dir, `.out-${process.pid}`);
  const errFile = path.join(dir, `.err-${process.pid}`);
  const out = fs.openSync(outFile, 'w+');
  const err = fs.openSync(errFile, 'w+');
  try {
    const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', out, err], timeout: opts.timeout });
    return {
      result: {
        code: r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0),
        stdout: fs.readFileSync(outFile, 'utf8'),
        stderr: fs.readFileSync(errFile, 'utf8'),
      },
      error: r.error,
    };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(outFile, { force: true });
    fs.rmSync(errFile, { force: true });
  }
}

/** A test's own state root, and helpers bound to it. */
export class Runtime {
  readonly root: string;
  constructor(readonly bin: string = tsrunBin, prefix = 'tsrun-test-root-') {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  }
  /** Runs tsrun to completion (runToFiles). */
  run(args: string[], opts: { cwd?: string; timeout?: number } = {}): Result {
    return runToFiles(this.bin, ['--root', this.root, ...args], this.root, { cwd: opts.cwd, timeout: opts.timeout ?? 30_000 }).result;
  }
  /** Starts a long-running command (e.g. a foreground `run`); resolves with its Result. */
  spawn(args: string[], opts: { cwd?: string } = {}) {
    const child = spawn(this.bin, ['--root', this.root, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<Result>((resolve) =>
      child.on('close', (code, sig) => resolve({ code: code ?? 128 + (sig ? os.constants.signals[sig] : 0), stdout, stderr })),
    );
    return { child, done };
  }
  state(id: string): Record<string, unknown> {
    const r = this.run(['state', id]);
    assert.equal(r.code, 0, `state ${id} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }
  /** Waits until the container reaches status (polling `state`). */
  async waitStatus(id: string, status: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      // Before a concurrent create has made it, the container does not exist yet.
      const r = this.run(['state', id]);
      const seen = r.code === 0 ? JSON.parse(r.stdout).status : 'absent';
      if (seen === status) return;
      if (Date.now() > end) assert.fail(`container ${id} stayed ${seen}, expected ${status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** Force-deletes everything left, then checks nothing remains. */
  cleanup(): void {
    for (const id of this.ids()) this.run(['delete', '--force', id]);
    assertNothingLeft(this);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
  ids(): string[] {
    if (!fs.existsSync(this.root)) return [];
    return fs.readdirSync(this.root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  }
}

/**
 * tsrun and, where installed, runc (the reference), each with its own root,
 * plus temp dirs a test registers; cleanup() checks nothing of theirs is left.
 */
export function sideBySide() {
  const rt = new Runtime();
  const runc = hasRunc ? new Runtime('runc', 'runc-test-root-') : undefined;
  const dirs: string[] = [];
  return {
    rt,
    runc,
    dirs,
    cleanup(): void {
      rt.cleanup();
      runc?.cleanup();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** No state dir under --root, no mount that names the root or a test bundle. */
export function assertNothingLeft(rt: Runtime, bundles: string[] = []): void {
  assert.deepEqual(rt.ids(), [], `state left under ${rt.root}`);
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const p of [rt.root, ...bundles]) {
    assert.ok(!mounts.includes(p), `a mount under ${p} was left behind`);
  }
}

const scratch: string[] = [];
/** Temp dirs go when the test process ends (one exit listener for all). */
function removeAtExit(dir: string): void {
  if (scratch.length === 0) process.on('exit', () => scratch.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  scratch.push(dir);
}

let sharedRootfs: string | undefined;

/** A busybox rootfs built once per test process (read-only use only). */
export function busyboxRootfs(): string {
  if (!sharedRootfs) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-rootfs-'));
    // mkdtemp makes it 0700: a non-root or user-namespaced process could not even enter /.
    fs.chmodSync(dir, 0o755);
    const r = spawnSync(path.join(repoRoot, 'bundles', 'make-busybox-rootfs'), [dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `make-busybox-rootfs failed: ${r.stderr}`);
    sharedRootfs = dir;
    removeAtExit(dir);
  }
  return sharedRootfs;
}

export type ConfigPatch = (config: Record<string, any>) => void;

/** The config every test bundle starts from: busybox sh, the usual namespaces and mounts. */
export function baseConfig(args: string[]): Record<string, any> {
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
    },
    root: { path: busyboxRootfs(), readonly: true },
    hostname: 'tsrun-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
    },
  };
}

/** A bundle dir with config.json; the rootfs is the shared one (absolute path). */
export function makeBundle(args: string[], patch?: ConfigPatch): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-bundle-'));
  const config = baseConfig(args);
  patch?.(config);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  removeAtExit(dir);
  return dir;
}

let counter = 0;
export function uniqueId(prefix = 'c'): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while a process with this pid exists and is not a zombie. */
export function processLives(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Ends a test's socket listener (a helper process) if it still runs, and removes its socket. */
export async function stopListener(child: ChildProcess, socketPath: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  fs.rmSync(socketPath, { force: true });
}

/** Whether node takes the V8 code cache beside a bundle (file + '.v8cache'): V8 rejects one of another node or other flags. */
export function codeCacheTaken(node: string, file: string): { taken: boolean; why: string } {
  const check =
    "const { Script } = require('node:vm'); const { wrap } = require('node:module'); const fs = require('node:fs'); const f = process.argv[1];" +
    "const s = new Script(wrap(fs.readFileSync(f, 'utf8')), { filename: f, cachedData: fs.readFileSync(f + '.v8cache') });" +
    'process.stdout.write(String(s.cachedDataRejected));';
  const r = spawnSync(node, ['-e', check, file], { encoding: 'utf8', env: {} });
  return { taken: r.stdout === 'false', why: r.stderr || r.stdout };
}
