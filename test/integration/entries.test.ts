// bin/tsrun runs node on one of four entries, each a tiny main script that
// loads its bundle with the bundle's V8 code cache (src/cli/launch.ts,
// scripts/bundle.js): the lite bundle (state, list, kill, start), the lifecycle commands',
// create's (with run and exec), or the whole CLI. A line a lean entry does not
// read itself goes to the whole CLI, and what the read-only entry meets that
// needs more to the lifecycle entry, so the output is the same whichever
// entry runs it. What a start reads
// (DEBUG, the terminal, the environment's TSRUN_* paths) is read per start.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codeCacheTaken, makeBundle, repoRoot, skipUnlessRoot, tsrunBin, uniqueId } from './harness.js';

const dist = path.join(repoRoot, 'dist');
const nodePath = fs.readFileSync(path.join(dist, 'node-path'), 'utf8').trim();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-entries-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const run = (bin: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(bin, args, { encoding: 'utf8', env, timeout: 30_000 });
const ENTRIES = ['tsrun', 'tsrun-lite', 'tsrun-fast', 'tsrun-create'];

describe('bin/tsrun: the entries', () => {
  test('the build made each bundle, its launch file and its code cache: root-owned, not writable by others, taken by V8', () => {
    for (const name of ENTRIES) {
      for (const f of [`${name}.cjs`, `${name}.cjs.v8cache`, `${name}-launch.cjs`]) {
        const st = fs.statSync(path.join(dist, f));
        assert.equal(st.uid, 0, `${f} is not root's`);
        assert.equal(st.mode & 0o022, 0, `${f} is writable by group or others`);
      }
      // The recorded node (the one bin/tsrun runs) takes the cache.
      const cache = codeCacheTaken(nodePath, path.join(dist, `${name}.cjs`));
      assert.ok(cache.taken, `${name}.cjs's code cache was rejected: ${cache.why}`);
    }
  });

  test("the lite and lifecycle caches hold what their commands call, not only what loading compiled (scripts/warm-code-cache.js)", () => {
    for (const name of ['tsrun-lite', 'tsrun-fast']) {
      // The cache loading alone makes, of a copy of the bundle (in a dist/: it finds the package by it), in a node of its own.
      fs.mkdirSync(path.join(scratch, 'dist'), { recursive: true });
      const copy = path.join(scratch, 'dist', `${name}.cjs`);
      fs.copyFileSync(path.join(dist, `${name}.cjs`), copy);
      const script = `import(${JSON.stringify(path.join(dist, 'src', 'code-cache.js'))}).then((m) => process.stdout.write(String(m.writeCodeCache(process.argv[1]))))`;
      const r = spawnSync(nodePath, ['-e', script, copy], { encoding: 'utf8', env: {} });
      const loadedOnly = Number(r.stdout);
      assert.ok(loadedOnly > 0, `${name}: ${r.stderr}`);
      const built = fs.statSync(path.join(dist, `${name}.cjs.v8cache`)).size;
      // Measured: the warmed ones are 30-35 kB larger; a cache made by loading alone is the same size as its copy's.
      assert.ok(built > loadedOnly + 16 * 1024, `${name}.cjs.v8cache is ${built} bytes; loading alone makes ${loadedOnly}`);
    }
  });

  test('node runs create\'s and run\'s entry, as the launched pid itself', { skip: skipUnlessRoot }, async () => {
    // A container that keeps `tsrun run` waiting, to read its command line.
    const bundle = makeBundle(['sleep', '30']);
    const root = fs.mkdtempSync(path.join(scratch, 'root-'));
    const id = uniqueId('entry');
    const child = spawn(tsrunBin, ['--root', root, 'run', '--bundle', bundle, id], { stdio: 'ignore' });
    try {
      let cmdline = '';
      for (let i = 0; i < 200 && !cmdline.includes('run'); i++) {
        await new Promise((r) => setTimeout(r, 25));
        cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
      }
      const argv = cmdline.split('\0');
      assert.equal(argv[0], nodePath, `pid ${child.pid} is not node: ${argv.join(' ')}`);
      assert.equal(argv[1], '--preserve-symlinks-main');
      assert.equal(fs.realpathSync(argv[2]), fs.realpathSync(path.join(dist, 'tsrun-create-launch.cjs')));
      assert.deepEqual(argv.slice(3, 6), ['--root', root, 'run']);
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
      const on = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('entry')], { ...process.env, DEBUG: 'tsrun:*' });
      assert.equal(on.status, 0, on.stderr);
      assert.match(on.stderr, /^\S+Z tsrun:create plan /m);
      const env = { ...process.env };
      delete env.DEBUG;
      const off = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('entry')], env);
      assert.equal(off.status, 0, off.stderr);
      assert.equal(off.stderr, '');
      const some = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('entry')], { ...process.env, DEBUG: 'tsrun:init' });
      assert.match(some.stderr, / tsrun:init /);
      assert.doesNotMatch(some.stderr, / tsrun:create /);
    } finally {
      fs.rmSync(bundle, { recursive: true, force: true });
    }
    assert.deepEqual(fs.readdirSync(root), []);
  });

  test('tsrun --help | cat: the width is this start\'s (a pipe: not wrapped)', () => {
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
      const r = run(tsrunBin, ['--root', root, 'run', '--bundle', bundle, uniqueId('entry')], { ...process.env, TSRUN_INIT_BINARY: missing });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /no-such-init|ENOENT/);
    } finally {
      fs.rmSync(bundle, { recursive: true, force: true });
    }
    assert.deepEqual(fs.readdirSync(root), []);
  });

  describe('the lean entries: a line they do not read themselves goes to the whole CLI', () => {
    // Each lean entry run by the recorded node directly, beside the whole CLI's, on the same line.
    const entry = (name: string, args: string[], env: NodeJS.ProcessEnv = process.env) => run(nodePath, [path.join(dist, `${name}-launch.cjs`), ...args], env);
    const noTime = (t: string) => t.replace(/time="[^"]+"/g, 'time=T').replace(/"time":"[^"]+"/g, '"time":"T"');
    const same = (name: string, args: string[]) => {
      const lean = entry(name, args);
      const whole = entry('tsrun', args);
      assert.deepEqual(
        { status: lean.status, stdout: lean.stdout, stderr: noTime(lean.stderr) },
        { status: whole.status, stdout: whole.stdout, stderr: noTime(whole.stderr) },
        `${name}: ${args.join(' ')}`,
      );
      return lean;
    };
    test('the lifecycle commands\' entry: help, usage errors, flags after the id, and plain lines, as the whole CLI', () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      for (const args of [
        ['--version'], ['-v'], ['state', '--help'], ['state'], ['state', 'nosuch', '--root', root], ['--root', root, 'kill', '--all', 'nosuch'],
        ['--root', root, 'list', '--format', 'yaml'], ['--log-format', 'json', '--root', root, 'delete', 'nosuch', 'extra'],
        ['--root', root, 'state', 'nosuch'], ['--root', root, 'list', '-q'], ['--root', root, 'list', '--format', 'json'],
        ['--root', root, '--log-format', 'json', 'pause', 'nosuch'], ['--root', root, 'start', 'nosuch'], ['--help'],
      ]) same('tsrun-fast', args);
      assert.deepEqual(fs.readdirSync(root), []);
    });
    test('the lite entry (state, list, kill, start): help, usage errors, flags and plain lines, as the whole CLI', () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      for (const args of [
        ['state', '--help'], ['state'], ['state', 'nosuch', '--root', root], ['--root', root, 'state', 'nosuch'], ['--root', root, 'state', 'a', 'b'],
        ['--root', root, 'list'], ['--root', root, 'list', '-q'], ['--root', root, 'list', '--format', 'json'], ['--root', root, 'list', '--format', 'yaml'],
        ['--log-format', 'json', '--root', root, 'state', '..'], ['--root', root, 'ls'], ['list', '--help'],
        ['--root', root, 'kill', 'nosuch'], ['--root', root, 'kill', 'nosuch', 'KILL'], ['--root', root, 'kill', '--all', 'nosuch', '9'],
        ['--root', root, 'kill', 'nosuch', 'NOSIG'], ['kill', '--help'], ['--root', root, 'start', 'nosuch'], ['start'], ['start', '--help'],
      ]) same('tsrun-lite', args);
      assert.deepEqual(fs.readdirSync(root), []);
    });
    test('the lite entry: the directory of a create that died goes to the lifecycle entry, which clears it', { skip: skipUnlessRoot }, () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('entry');
      try {
        assert.equal(spawnSync(tsrunBin, ['--root', root, 'create', '--bundle', bundle, id], { stdio: 'ignore' }).status, 0);
        // What a create killed before it wrote its state leaves: a directory with none, whose lock nobody holds.
        fs.mkdirSync(path.join(root, 'dead-list'));
        const listed = entry('tsrun-lite', ['--root', root, 'list', '-q']);
        assert.deepEqual([listed.status, listed.stdout, listed.stderr], [0, `${id}\n`, '']);
        assert.ok(!fs.existsSync(path.join(root, 'dead-list')), 'list left the dead create\'s directory');
        fs.mkdirSync(path.join(root, 'dead-state'));
        const state = entry('tsrun-lite', ['--root', root, 'state', 'dead-state']);
        assert.equal(state.status, 1);
        assert.match(state.stderr, /^time="[^"]+" level=error msg="container does not exist"\n$/);
        assert.ok(!fs.existsSync(path.join(root, 'dead-state')), 'state left the dead create\'s directory');
        // And as the whole CLI says it.
        same('tsrun-lite', ['--root', root, 'state', 'dead-state']);
        // A live container beside them is read as before, started and signalled.
        const live = entry('tsrun-lite', ['--root', root, 'state', id]);
        assert.equal(live.status, 0, live.stderr);
        assert.equal(JSON.parse(live.stdout).status, 'created');
        const started = entry('tsrun-lite', ['--root', root, 'start', id]);
        assert.deepEqual([started.status, started.stderr], [0, '']);
        assert.equal(JSON.parse(entry('tsrun-lite', ['--root', root, 'state', id]).stdout).status, 'running');
        // Paused, SIGKILL needs the cgroup (a thaw after the signal): the lifecycle entry sends it, once.
        assert.equal(spawnSync(tsrunBin, ['--root', root, 'pause', id]).status, 0);
        assert.equal(JSON.parse(entry('tsrun-lite', ['--root', root, 'state', id]).stdout).status, 'paused');
        const killed = entry('tsrun-lite', ['--root', root, 'kill', id, 'KILL']);
        assert.deepEqual([killed.status, killed.stderr], [0, '']);
        let status = '';
        for (let i = 0; i < 200 && status !== 'stopped'; i++) {
          status = JSON.parse(entry('tsrun-lite', ['--root', root, 'state', id]).stdout).status;
          if (status !== 'stopped') spawnSync('sleep', ['0.05']);
        }
        assert.equal(status, 'stopped', 'the paused container did not die of SIGKILL');
      } finally {
        spawnSync(tsrunBin, ['--root', root, 'delete', '--force', id]);
        fs.rmSync(bundle, { recursive: true, force: true });
      }
      assert.deepEqual(fs.readdirSync(root), []);
    });
    test('create\'s and run\'s entry: help, usage errors and a bad bundle, as the whole CLI', () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      const missing = path.join(scratch, 'no-such-bundle');
      for (const args of [
        ['create', '--help'], ['run', '--help'], ['create'], ['--root', root, 'create', '--bundle', missing, 'x'],
        ['--root', root, 'run', '--bundle', missing, '--no-such-flag', 'x'], ['--root', root, 'create', '--bundle', missing, 'x', 'y'],
        ['--root', root, '--log-format', 'json', 'run', '-d', '--bundle', missing, 'x'], ['--version'],
      ]) same('tsrun-create', args);
      assert.equal(entry('tsrun-create', ['--root', root, 'create', '--bundle', missing, 'x']).status, 1);
      assert.deepEqual(fs.readdirSync(root), []);
    });
    test('create\'s entry runs exec too: the command, --process, errors, and flags it leaves to the whole CLI, as the whole CLI', { skip: skipUnlessRoot }, () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('entry');
      const processFile = path.join(scratch, 'process.json');
      fs.writeFileSync(processFile, JSON.stringify({ args: ['sh', '-c', 'echo from-process-file'], cwd: '/', env: ['PATH=/bin'] }));
      try {
        // stdio not piped: the detached container would hold the pipes open.
        assert.equal(spawnSync(tsrunBin, ['--root', root, 'run', '-d', '--bundle', bundle, id], { stdio: 'ignore' }).status, 0);
        for (const args of [
          ['--root', root, 'exec', id, 'sh', '-c', 'echo hi; echo err >&2; exit 3'],
          ['--root', root, 'exec', '--process', processFile, id],
          ['--root', root, '--log-format', 'json', 'exec', '--process', processFile, id],
          ['--root', root, 'exec', '--cwd', '/bin', id, 'pwd'],
          ['--root', root, 'exec', id, 'ls', '-d', '/proc'],
          ['--root', root, 'exec', 'nosuch', 'true'],
          ['--root', root, 'exec', id],
          ['--root', root, 'exec', '--process', path.join(scratch, 'no-such-file'), id],
        ]) same('tsrun-create', args);
        assert.equal(entry('tsrun-create', ['--root', root, 'exec', id, 'sh', '-c', 'exit 3']).status, 3);
      } finally {
        spawnSync(tsrunBin, ['--root', root, 'delete', '--force', id]);
        fs.rmSync(bundle, { recursive: true, force: true });
      }
      assert.deepEqual(fs.readdirSync(root), []);
    });
    test('--debug on a lean entry: the error\'s stack, as on the whole CLI', () => {
      const root = fs.mkdtempSync(path.join(scratch, 'root-'));
      const r = run(tsrunBin, ['--debug', '--root', root, 'state', 'nosuch']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /msg="container does not exist"\nError: container does not exist\n\s+at /);
    });
  });
});
