// An unprivileged user for the rootless tests: made by the test (as root)
// with its own /etc/subuid and /etc/subgid range and $XDG_RUNTIME_DIR, and
// removed afterwards with everything it owns. Commands run as that user with
// setpriv (util-linux), with a login-like environment and no other groups.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { repoRoot, runToFiles, type Result } from './harness.js';

export const hasNewuidmap = ['/usr/bin/newuidmap', '/usr/bin/newgidmap'].every((p) => fs.existsSync(p));

const SUB_FILES = ['/etc/subuid', '/etc/subgid'];

export class RootlessUser {
  readonly uid: number;
  readonly gid: number;
  /** A scratch directory the user owns (bundles, its state roots). */
  readonly home: string;
  /** Its $XDG_RUNTIME_DIR, as logind would make it: /run/user/UID, 0700, the user's. */
  readonly runtimeDir: string;
  /** The tsrun the user runs: the repo's own when the user can reach it, else a copy (see reachableTsrun). */
  tsrun = path.join(repoRoot, 'bin', 'tsrun');
  private copy?: string;

  /** name: unique to the test file; subStart: the first id of its 65536-id subordinate range. */
  constructor(readonly name: string, readonly subStart: number, readonly subCount = 65536) {
    this.removeLeftovers();
    // -K SUB_*_COUNT=0: no range of useradd's choosing; the test writes its own.
    const r = spawnSync('useradd', ['--no-create-home', '--shell', '/bin/sh', '--user-group', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', name], { encoding: 'utf8' });
    assert.equal(r.status, 0, `useradd ${name}: ${r.stderr}`);
    const line = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.trim().split(':');
    this.uid = Number(line[2]);
    this.gid = Number(line[3]);
    for (const f of SUB_FILES) fs.appendFileSync(f, `${name}:${subStart}:${subCount}\n`);
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    fs.chmodSync(this.home, 0o755);
    fs.chownSync(this.home, this.uid, this.gid);
    this.runtimeDir = `/run/user/${this.uid}`;
    fs.mkdirSync(this.runtimeDir, { recursive: true, mode: 0o700 });
    fs.chownSync(this.runtimeDir, this.uid, this.gid);
    this.tsrun = this.reachableTsrun();
  }

  /** Drops the subordinate ranges (for the "no entry" case) or restores them. */
  setSubordinate(present: boolean): void {
    for (const f of SUB_FILES) {
      const kept = fs.readFileSync(f, 'utf8').split('\n').filter((l) => l && !l.startsWith(`${this.name}:`));
      if (present) kept.push(`${this.name}:${this.subStart}:${this.subCount}`);
      fs.writeFileSync(f, kept.map((l) => `${l}\n`).join(''));
    }
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: this.home,
      USER: this.name,
      LOGNAME: this.name,
      XDG_RUNTIME_DIR: this.runtimeDir,
      ...extra,
    };
  }

  /** Runs cmd as the user; env entries set to undefined are left out (XDG_RUNTIME_DIR unset, say). */
  run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Result {
    const env = Object.fromEntries(Object.entries(this.env(opts.env)).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
    const setpriv = ['--reuid', String(this.uid), '--regid', String(this.gid), '--clear-groups', '--', cmd, ...args];
    return runToFiles('setpriv', setpriv, this.home, { cwd: opts.cwd ?? this.home, env, timeout: opts.timeout ?? 60_000 }).result;
  }

  /** Writes a file the user owns. */
  write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    fs.chownSync(file, this.uid, this.gid);
  }

  mkdir(dir: string): string {
    fs.mkdirSync(dir, { recursive: true });
    fs.chownSync(dir, this.uid, this.gid);
    return dir;
  }

  /**
   * The user must be able to run bin/tsrun, the node that dist/node-path
   * names and read dist/ and build/. A checkout under a directory others
   * cannot enter (CI's clone under /root, say) is not reachable: then the
   * package's run-time files (package.json, bin, dist, build/Release) are
   * copied to a directory of ours that is, and the tests run that copy.
   */
  private reachableTsrun(): string {
    const node = fs.readFileSync(path.join(repoRoot, 'dist', 'node-path'), 'utf8').trim();
    const needed = [path.join(repoRoot, 'bin', 'tsrun'), path.join(repoRoot, 'dist', 'tsrun-launch.cjs'), path.join(repoRoot, 'build', 'Release'), node];
    const reachable = needed.every((p) => this.run('test', ['-r', p, '-a', '(', '-x', p, '-o', '-f', p, ')']).code === 0);
    if (reachable) return path.join(repoRoot, 'bin', 'tsrun');
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-rootless-pkg-'));
    fs.chmodSync(copy, 0o755);
    for (const part of ['package.json', 'bin', 'dist', path.join('build', 'Release')]) {
      fs.cpSync(path.join(repoRoot, part), path.join(copy, part), { recursive: true });
    }
    fs.chmodSync(path.join(copy, 'build'), 0o755);
    this.copy = copy;
    assert.ok(this.run('test', ['-x', node]).code === 0, `${this.name} cannot run ${node} (dist/node-path): install node where every user can run it`);
    return path.join(copy, 'bin', 'tsrun');
  }

  /** Removes the user, its ranges and directories (the tests delete their containers first). */
  remove(): void {
    this.removeLeftovers();
    fs.rmSync(this.home, { recursive: true, force: true });
    fs.rmSync(this.runtimeDir, { recursive: true, force: true });
    if (this.copy) fs.rmSync(this.copy, { recursive: true, force: true });
  }

  private removeLeftovers(): void {
    if (spawnSync('getent', ['passwd', this.name]).status === 0) spawnSync('userdel', ['--force', this.name]);
    for (const f of SUB_FILES) {
      if (!fs.existsSync(f)) continue;
      const text = fs.readFileSync(f, 'utf8');
      const kept = text.split('\n').filter((l) => l && !l.startsWith(`${this.name}:`));
      if (kept.length !== text.split('\n').filter(Boolean).length) fs.writeFileSync(f, kept.map((l) => `${l}\n`).join(''));
    }
  }
}
