// bin/tsrun starts node from tsrun's start-up snapshot (dist/tsrun.blob,
// scripts/build-snapshot.js; src/cli/snapshot.ts; or, for the lifecycle
// commands, the smaller dist/tsrun-fast.blob, src/cli/fast-main.ts) when the
// stamp beside them fits, and otherwise from the code-cache path with a
// one-line hint. What a module would read at load is read per start: DEBUG,
// the terminal, the environment's TSRUN_* paths.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, repoRoot, skipUnlessRoot, tsrunBin, uniqueId } from './harness.js';

const dist = path.join(repoRoot, 'dist');
const nodePath = fs.readFileSync(path.join(dist, 'node-path'), 'utf8').trim();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-snapshot-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const HINT = /^tsrun: .*tsrun(-fast)?\.blob was not built for .* \(run npm run build:snapshot\); starting without it$/;
const cpu = (() => { try { return fs.readFileSync('/sys/devices/system/cpu/modalias', 'utf8').split('\n')[0]; } catch { return ''; } })();

/**
 * A copy of the package whose dist holds links to the real one's files and a
 * stamp of its own (written as scripts/build-snapshot.js does, then changed by
 * edit), so each way the stamp can fail to fit is tried on a launcher.
 */
function packageCopy(edit: (stamp: string, pkgDist: string) => void): string {
  const pkg = fs.mkdtempSync(path.join(scratch, 'pkg-'));
  fs.mkdirSync(path.join(pkg, 'bin'));
  fs.copyFileSync(tsrunBin, path.join(pkg, 'bin', 'tsrun'));
  fs.symlinkSync(path.join(repoRoot, 'build'), path.join(pkg, 'build'));
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
  const pkgDist = path.join(pkg, 'dist');
  fs.mkdirSync(pkgDist);
  for (const f of fs.readdirSync(dist)) if (f !== 'tsrun.blob.stamp') fs.symlinkSync(path.join(dist, f), path.join(pkgDist, f));
  const stamp = path.join(pkgDist, 'tsrun.blob.stamp');
  fs.writeFileSync(stamp, `${nodePath}\n${pkgDist}\n${cpu}\n`);
  assert.equal(spawnSync('touch', ['-r', nodePath, stamp]).status, 0);
  edit(stamp, pkgDist);
  return path.join(pkg, 'bin', 'tsrun');
}

const run = (bin: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(bin, args, { encoding: 'utf8', env, timeout: 30_000 });

describe('bin/tsrun: start-up snapshot', () => {
  test('the build made the blob and its stamp: root-owned, not writable by others, for the recorded node', () => {
    for (const f of ['tsrun.blob', 'tsrun-fast.blob', 'tsrun.blob.stamp']) {
      const st = fs.statSync(path.join(dist, f));
      assert.equal(st.uid, 0, `${f} is not root's`);
      assert.equal(st.mode & 0o022, 0, `${f} is writable by group or others`);
    }
    const [node, stampedDist, stampedCpu] = fs.readFileSync(path.join(dist, 'tsrun.blob.stamp'), 'utf8').split('\n');
    assert.equal(stampedCpu, cpu);
    assert.equal(node, nodePath);
    assert.equal(fs.realpathSync(stampedDist), fs.realpathSync(dist));
    assert.equal(fs.statSync(path.join(dist, 'tsrun.blob.stamp')).mtimeMs, fs.statSync(nodePath).mtimeMs);
  });

  test('node runs with the blob, as the launched pid itself', { skip: skipUnlessRoot }, async () => {
    // A container that keeps `tsrun run` waiting, to read its command line.
    const bundle = makeBundle(['sleep', '30']);
    const root = fs.mkdtempSync(path.join(scratch, 'root-'));
    const id = uniqueId('snap');
    const child = spawn(tsrunBin, ['--root', root, 'run', '--bundle', bundle, id], { stdio: 'ignore' });
    try {
      let cmdline = '';
      for (let i = 0; i < 200 && !cmdline.includes('run'); i++) {
        await new Promise((r) => setTimeout(r, 25));
        cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
      }
      const argv = cmdline.split('\0');
      assert.equal(argv[0], nodePath, `pid ${child.pid} is not node: ${argv.join(' ')}`);
      assert.equal(argv[1], '--snapshot-blob');
      assert.equal(fs.realpathSync(argv[2]), fs.realpathSync(path.join(dist, 'tsrun.blob')));
    } finally {
      spawnSync(tsrunBin, ['--root', root, 'delete', '--force', id]);
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(0) : child.on('exit', r)));
      fs.rmSync(bundle, { recursive: true, force: true });
    }
    assert.deepEqual(fs.readdirSync(root), []);
  });

  test('DEBUG is the caller\'s: messages with DEBUG=tsrun:*, none without', { skip: skipUnlessRoot }, () => {
    const bundle = makeBundle(['true']);
    const root = fs.mkdtempSync(path.join(scratch, 'root-'));
    try {
      const on = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('snap')], { ...process.env, DEBUG: 'tsrun:*' });
      assert.equal(on.status, 0, on.stderr);
      assert.match(on.stderr, /^\S+Z tsrun:create plan /m);
      assert.doesNotMatch(on.stderr, HINT);
      const env = { ...process.env };
      delete env.DEBUG;
      const off = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('snap')], env);
      assert.equal(off.status, 0, off.stderr);
      assert.equal(off.stderr, '');
      const some = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('snap')], { ...process.env, DEBUG: 'tsrun:init' });
      assert.match(some.stderr, / tsrun:init /);
      assert.doesNotMatch(some.stderr, / tsrun:create /);
    } finally {
      fs.rmSync(bundle, { recursive: true, force: true });
    }
    assert.deepEqual(fs.readdirSync(root), []);
  });

  test('tsrun --help | cat: the width is this start\'s (a pipe: not wrapped), no hint', () => {
    const r = spawnSync('sh', ['-c', `${tsrunBin} --help | cat`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^ {2}tsrun run <container-id> +create and start a container, and wait for it unless detached$/m);
  });

  test('TSRUN_INIT_BINARY is read per start, not frozen at build', { skip: skipUnlessRoot }, () => {
    const bundle = makeBundle(['true']);
    const root = fs.mkdtempSync(path.join(scratch, 'root-'));
    try {
      const missing = path.join(scratch, 'no-such-init');
      const r = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('snap')], { ...process.env, TSRUN_INIT_BINARY: missing });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /no-such-init|ENOENT/);
    } finally {
      fs.rmSync(bundle, { recursive: true, force: true });
    }
    assert.deepEqual(fs.readdirSync(root), []);
  });

  describe('a stamp that does not fit: the code-cache path, with one hint naming the rebuild', () => {
    const fits = packageCopy(() => {});
    test('control: a fitting stamp in the copy takes the blob, silently', () => {
      const r = run(fits, ['--version']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      const traced = spawnSync('sh', ['-x', fits, '--version'], { encoding: 'utf8' });
      assert.match(traced.stderr, /exec env -i .* --snapshot-blob /);
    });
    test('TSRUN_SNAPSHOT=0: the code-cache path, silently', () => {
      const r = run(fits, ['--version'], { ...process.env, TSRUN_SNAPSHOT: '0' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      const traced = spawnSync('sh', ['-x', fits, '--version'], { encoding: 'utf8', env: { ...process.env, TSRUN_SNAPSHOT: '0' } });
      assert.match(traced.stderr, /exec env -i .*tsrun-launch\.cjs --version/);
    });
    const cases: [string, (stamp: string, pkgDist: string) => void][] = [
      ['the node binary changed (another mtime)', (stamp) => fs.utimesSync(stamp, new Date(0), new Date(0))],
      ['another node', (stamp, pkgDist) => fs.writeFileSync(stamp, `/usr/local/bin/another-node\n${pkgDist}\n`)],
      ['built in another directory (the package moved)', (stamp) => {
        fs.writeFileSync(stamp, `${nodePath}\n${dist}\n${cpu}\n`);
        assert.equal(spawnSync('touch', ['-r', nodePath, stamp]).status, 0);
      }],
      ['built on a CPU with other features (V8 would refuse the blob: the test VM)', (stamp, pkgDist) => {
        fs.writeFileSync(stamp, `${nodePath}\n${pkgDist}\ncpu:type:x86,ven0000fam0006mod0000:feature:,0000\n`);
        assert.equal(spawnSync('touch', ['-r', nodePath, stamp]).status, 0);
      }],
      ['no stamp', (stamp) => fs.rmSync(stamp)],
      ['no blobs', (_stamp, pkgDist) => {
        fs.rmSync(path.join(pkgDist, 'tsrun.blob'));
        fs.rmSync(path.join(pkgDist, 'tsrun-fast.blob'));
      }],
    ];
    for (const [name, edit] of cases) {
      test(name, () => {
        const bin = packageCopy(edit);
        const root = fs.mkdtempSync(path.join(scratch, 'root-'));
        for (const args of [['--version'], ['--root', root, 'list', '--format', 'json'], ['--help']]) {
          const r = run(bin, args);
          assert.equal(r.status, 0, r.stderr);
          assert.ok(r.stdout.length > 0);
          const lines = r.stderr.split('\n').filter(Boolean);
          assert.equal(lines.length, 1, r.stderr);
          assert.match(lines[0], HINT);
        }
        const traced = spawnSync('sh', ['-x', bin, '--version'], { encoding: 'utf8' });
        assert.match(traced.stderr, /exec env -i .*tsrun-launch\.cjs --version/);
        assert.doesNotMatch(traced.stderr, /exec env -i .*--snapshot-blob/);
      });
    }
    test('one blob missing: its commands take the code-cache path with the hint naming it, the other\'s their blob', () => {
      for (const [missing, missingArgs, presentArgs] of [
        ['tsrun-fast.blob', ['--version'], ['--help']],
        ['tsrun.blob', ['--help'], ['--version']],
      ] as const) {
        const bin = packageCopy((_stamp, pkgDist) => fs.rmSync(path.join(pkgDist, missing)));
        const without = run(bin, [...missingArgs]);
        assert.equal(without.status, 0, without.stderr);
        assert.match(without.stderr.trim(), HINT);
        assert.ok(without.stderr.includes(`/${missing} was not built`), without.stderr);
        const withBlob = run(bin, [...presentArgs]);
        assert.equal(withBlob.status, 0, withBlob.stderr);
        assert.equal(withBlob.stderr, '');
      }
    });
  });

  describe('two blobs: the lifecycle commands\' small one, the whole CLI\'s for the rest', () => {
    // The launcher's command line, without running it: an `env` first in PATH that prints its arguments.
    const fakeBin = fs.mkdtempSync(path.join(scratch, 'fake-env-'));
    fs.writeFileSync(path.join(fakeBin, 'env'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
    const blobOf = (args: string[]): string => {
      const r = spawnSync(tsrunBin, args, { encoding: 'utf8', env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` } });
      const argv = r.stdout.split('\n');
      const at = argv.indexOf('--snapshot-blob');
      assert.ok(at > 0, `${args.join(' ')}: no blob taken: ${r.stdout}${r.stderr}`);
      return path.basename(argv[at + 1]);
    };
    test('bin/tsrun picks the blob by the command word, past runc\'s global flags and their values', () => {
      const fast: string[][] = [
        ['--version'], ['-v'], ['state', 'x'], ['start', 'x'], ['kill', 'x', 'KILL'], ['delete', '-f', 'x'], ['list'], ['pause', 'x'], ['resume', 'x'],
        ['--root', '/r', '--log', '/l', '--log-format', 'json', 'state', 'x'],
        ['--root=/r', '--log-format=json', '--debug', '--systemd-cgroup', 'list'],
        ['--rootless', 'false', '--criu', 'criu', 'kill', 'x'],
        ['state', '--help'],
      ];
      const full: string[][] = [
        [], ['--help'], ['-h'], ['create', '--bundle', 'b', 'x'], ['run', 'x'], ['exec', 'x', 'true'], ['ps', 'x'], ['spec'],
        ['--root', 'state', 'run', 'x'], // "state" is --root's value
        ['--log-format', 'json', '--root', '/r', 'events', 'x'],
        ['--unknown', 'state', 'x'],
      ];
      for (const args of fast) assert.equal(blobOf(args), 'tsrun-fast.blob', args.join(' '));
      for (const args of full) assert.equal(blobOf(args), 'tsrun.blob', args.join(' '));
    });
    test('a line the small one does not read itself gives what the whole CLI gives (help, usage errors, flags after the id)', { skip: skipUnlessRoot }, () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      const noTime = (t: string) => t.replace(/time="[^"]+"/g, 'time=T').replace(/"time":"[^"]+"/g, '"time":"T"');
      for (const args of [
        ['state', '--help'], ['state'], ['state', 'nosuch', '--root', root], ['--root', root, 'kill', '--all', 'nosuch'],
        ['--root', root, 'list', '--format', 'yaml'], ['--log-format', 'json', '--root', root, 'delete', 'nosuch', 'extra'],
        ['--root', root, 'state', 'nosuch'], ['--root', root, 'list', '-q'], ['--root', root, '--log-format', 'json', 'pause', 'nosuch'],
      ]) {
        assert.equal(blobOf(args), 'tsrun-fast.blob');
        const withBlob = run(tsrunBin, args);
        const cached = run(tsrunBin, args, { ...process.env, TSRUN_SNAPSHOT: '0' });
        assert.deepEqual(
          { status: withBlob.status, stdout: withBlob.stdout, stderr: noTime(withBlob.stderr) },
          { status: cached.status, stdout: cached.stdout, stderr: noTime(cached.stderr) },
          args.join(' '),
        );
      }
      assert.deepEqual(fs.readdirSync(root), []);
    });
    test('--debug on the small one: the error\'s stack, as on the whole CLI', () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      const r = run(tsrunBin, ['--debug', '--root', root, 'state', 'nosuch']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /msg="container does not exist"\nError: container does not exist\n\s+at /);
    });
  });
});
