// bin/tsrun (native/launcher/main.c) starts node in an environment of its own:
// node acts on several variables before any JS runs (NODE_OPTIONS,
// OPENSSL_CONF, ...), and tsrun runs as root. Each is shown to act on a plain
// `node` first, so that each test can fail, then to be inert under tsrun.
// What the launcher hands node (argv, environment) is read exactly from a
// stand-in node named by a package's dist/node-path.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, processLives, repoRoot, runToFiles, sideBySide, skipUnlessRoot, sleep, tsrunBin, uniqueId } from './harness.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-launcher-env-'));
const nodePath = fs.readFileSync(path.join(repoRoot, 'dist', 'node-path'), 'utf8').trim();

/** Runs argv with the caller's environment plus extra. */
function withEnv(cmd: string, args: string[], extra: Record<string, string>) {
  return runToFiles(cmd, args, scratch, { env: { ...process.env, ...extra }, timeout: 30_000 }).result;
}

after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('bin/tsrun: node starts in an environment of its own', () => {
  test('runs the node the build recorded, by its absolute path', () => {
    assert.ok(path.isAbsolute(nodePath), nodePath);
    // A `node` earlier on PATH that would leave a marker is not the one run.
    const bin = fs.mkdtempSync(path.join(scratch, 'bin-'));
    const marker = path.join(scratch, 'path-node-ran');
    fs.writeFileSync(path.join(bin, 'node'), `#!/bin/sh\ntouch ${marker}\nexec ${nodePath} "$@"\n`, { mode: 0o755 });
    const r = withEnv(tsrunBin, ['--version'], { PATH: `${bin}:${process.env.PATH}` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(!fs.existsSync(marker), 'bin/tsrun ran the node on PATH');
  });

  test('NODE_OPTIONS=--require: the module does not run', () => {
    const marker = path.join(scratch, 'required-ran');
    const mod = path.join(scratch, 'evil.js');
    fs.writeFileSync(mod, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`);
    const env = { NODE_OPTIONS: `--require ${mod}` };
    assert.equal(withEnv(nodePath, ['-e', '0'], env).code, 0);
    assert.ok(fs.existsSync(marker), 'control: plain node runs the --require module');
    fs.rmSync(marker);
    const r = withEnv(tsrunBin, ['--version'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(marker), 'tsrun ran the NODE_OPTIONS --require module');
  });

  test('OPENSSL_CONF: a config that would abort node is not read', () => {
    // node reads its nodejs_conf section; a provider that cannot load aborts it.
    const conf = path.join(scratch, 'openssl.cnf');
    fs.writeFileSync(conf, 'nodejs_conf = oc\n[oc]\nproviders = p\n[p]\nevil = evil_sect\n[evil_sect]\nmodule = /nonexistent/evil.so\nactivate = 1\n');
    const env = { OPENSSL_CONF: conf };
    assert.notEqual(withEnv(nodePath, ['-e', '0'], env).code, 0, 'control: plain node fails on this config');
    const r = withEnv(tsrunBin, ['--version'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tsrun version /);
  });

  test('NODE_V8_COVERAGE: no coverage is written', () => {
    const dir = path.join(scratch, 'coverage');
    const env = { NODE_V8_COVERAGE: dir };
    assert.equal(withEnv(nodePath, ['-e', '0'], env).code, 0);
    assert.ok(fs.readdirSync(dir).length > 0, 'control: plain node writes coverage');
    fs.rmSync(dir, { recursive: true });
    assert.equal(withEnv(tsrunBin, ['--version'], env).code, 0);
    assert.ok(!fs.existsSync(dir), 'tsrun wrote V8 coverage');
  });

  test('NODE_REDIRECT_WARNINGS: no file is created or appended to, even when node warns', () => {
    const file = path.join(scratch, 'warnings');
    // A warning at start-up (a loader flag), so that one is written if the variable acts.
    const env = { NODE_REDIRECT_WARNINGS: file, NODE_OPTIONS: '--experimental-loader=data:text/javascript,' };
    assert.equal(withEnv(nodePath, ['-e', '0'], env).code, 0);
    assert.ok(fs.existsSync(file), 'control: plain node writes its warnings there');
    fs.rmSync(file);
    const r = withEnv(tsrunBin, ['list'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(file), 'tsrun wrote to NODE_REDIRECT_WARNINGS');
  });
});

const STAND_IN_NODE = `#!/bin/sh\nprintf '%s\\n' "$@"\necho --\ntr '\\0' '\\n' < /proc/$$/environ\n`;

/**
 * A package of its own: a copy of bin/tsrun, and a dist/ whose node-path names
 * a stand-in node that prints its arguments, a line `--`, then the exact
 * environment it was given (from /proc, one per line). entries: the dist's
 * launch entries (empty files: the stand-in runs none of them).
 */
function standInPackage(entries: string[], script = STAND_IN_NODE): { pkg: string; bin: string; dist: string } {
  const pkg = fs.realpathSync(fs.mkdtempSync(path.join(scratch, 'pkg-')));
  fs.mkdirSync(path.join(pkg, 'bin'));
  fs.copyFileSync(tsrunBin, path.join(pkg, 'bin', 'tsrun'));
  const dist = path.join(pkg, 'dist');
  fs.mkdirSync(dist);
  const node = path.join(pkg, 'node');
  fs.writeFileSync(node, script, { mode: 0o755 });
  fs.writeFileSync(path.join(dist, 'node-path'), `${node}\n`);
  for (const e of entries) fs.writeFileSync(path.join(dist, e), '');
  return { pkg, bin: path.join(pkg, 'bin', 'tsrun'), dist };
}

/** What the stand-in node was run with: its argv (after argv[0]) and its environment. */
function handed(bin: string, args: string[], env: NodeJS.ProcessEnv, stdio: ('pipe' | 'ignore' | number)[] = ['ignore', 'pipe', 'pipe']) {
  const r = spawnSync(bin, args, { encoding: 'utf8', env, stdio });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const [argv, environ] = r.stdout.split('\n--\n');
  // The one node option the launcher passes, before the entry (native/launcher/main.c).
  const [option, ...rest] = argv.split('\n');
  assert.equal(option, '--preserve-symlinks-main');
  return { argv: rest, env: environ.split('\n').filter(Boolean).sort() };
}

const allEntries = ['tsrun-launch.cjs', 'tsrun-lite-launch.cjs', 'tsrun-fast-launch.cjs', 'tsrun-create-launch.cjs'];

describe('bin/tsrun: the node it runs, the entry, the arguments', () => {
  const env = { PATH: process.env.PATH };

  test('the entry by the command word, past runc\'s global flags and their values', () => {
    const { bin, dist } = standInPackage(allEntries);
    const cases: [string[], string][] = [
      [['state', 'x'], 'tsrun-lite-launch.cjs'],
      [['start', 'x'], 'tsrun-lite-launch.cjs'],
      [['kill', 'x', 'KILL'], 'tsrun-lite-launch.cjs'],
      [['kill', '--all', 'x'], 'tsrun-lite-launch.cjs'],
      [['delete', '-f', 'x'], 'tsrun-fast-launch.cjs'],
      [['list'], 'tsrun-lite-launch.cjs'],
      [['list', '-q'], 'tsrun-lite-launch.cjs'],
      [['pause', 'x'], 'tsrun-fast-launch.cjs'],
      [['resume', 'x'], 'tsrun-fast-launch.cjs'],
      [['--version'], 'tsrun-fast-launch.cjs'],
      [['-v'], 'tsrun-fast-launch.cjs'],
      [['create', '--bundle', 'b', 'x'], 'tsrun-create-launch.cjs'],
      [['run', 'x'], 'tsrun-create-launch.cjs'],
      [['exec', 'x', 'true'], 'tsrun-create-launch.cjs'],
      [['exec', '--process', '/p.json', '-d', 'x'], 'tsrun-create-launch.cjs'],
      [['ps', 'x'], 'tsrun-launch.cjs'],
      [['spec'], 'tsrun-launch.cjs'],
      [['--help'], 'tsrun-launch.cjs'],
      [[], 'tsrun-launch.cjs'],
      [['statex'], 'tsrun-launch.cjs'],
      // Each flag that takes a value skips it (even a value that is a command's name).
      [['--root', 'run', '--log', 'exec', '--log-format', 'json', '--criu', 'c', '--rootless', 'true', 'state', 'x'], 'tsrun-lite-launch.cjs'],
      [['--debug', '--systemd-cgroup', '--root=/r', '--log-format=text', 'run', 'x'], 'tsrun-create-launch.cjs'],
      [['--debug', 'events', 'x'], 'tsrun-launch.cjs'],
      // A flag it does not know is the word: the whole CLI reads it (and says what is wrong).
      [['--nosuch', 'state', 'x'], 'tsrun-launch.cjs'],
      [['--root'], 'tsrun-launch.cjs'],
    ];
    for (const [args, entry] of cases) {
      const { argv } = handed(bin, args, env);
      assert.deepEqual(argv.slice(0, 1), [path.join(dist, entry)], args.join(' '));
      assert.deepEqual(argv.slice(1), args, args.join(' '));
    }
  });

  test('an entry this build lacks: the whole CLI, and nothing said', () => {
    const { bin, dist } = standInPackage(['tsrun-launch.cjs']);
    for (const args of [['state', 'x'], ['run', 'x'], ['--version']]) {
      assert.deepEqual(handed(bin, args, env).argv, [path.join(dist, 'tsrun-launch.cjs'), ...args]);
    }
  });

  test('reached through symlinks (relative, chained, as npm\'s .bin): the dist beside the real binary', () => {
    const { bin, dist } = standInPackage(allEntries);
    const other = fs.mkdtempSync(path.join(scratch, 'links-'));
    fs.mkdirSync(path.join(other, 'a'));
    fs.symlinkSync(path.relative(path.join(other, 'a'), bin), path.join(other, 'a', 'tsrun'));
    fs.symlinkSync(path.join('a', 'tsrun'), path.join(other, 'tsrun'));
    assert.deepEqual(handed(path.join(other, 'tsrun'), ['list'], env).argv, [path.join(dist, 'tsrun-lite-launch.cjs'), 'list']);
    // And through PATH, by name.
    const r = handed('tsrun', ['list'], { PATH: `${other}:${process.env.PATH}` });
    assert.deepEqual(r.argv, [path.join(dist, 'tsrun-lite-launch.cjs'), 'list']);
  });

  test('the environment is exactly the allow-list\'s, first of each name, with its own TSRUN_INHERITED_*', () => {
    const { bin } = standInPackage(allEntries);
    const caller: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: '/h', USER: 'u', LOGNAME: 'l', XDG_RUNTIME_DIR: '/x', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/d',
      NOTIFY_SOCKET: '/n', LISTEN_FDS: '0', LISTEN_PID: '1', LISTEN_FDNAMES: 'a', DEBUG: 'tsrun:*', DEBUG_COLORS: 'no', DEBUG_: 'e',
      TSRUN_X: 'kept', TSRUN_: 'e', LANG: 'C', LANGUAGE: 'en', LC_ALL: 'C', LC_: 'e', TZ: 'UTC', TERM: 'dumb', COLUMNS: '80', LINES: '24',
      // Not passed:
      NODE_OPTIONS: '--require /x', NODE_ICU_DATA: '/x', NODE_EXTRA_CA_CERTS: '/x', NODE_REDIRECT_WARNINGS: '/x', NODE_V8_COVERAGE: '/x',
      OPENSSL_CONF: '/x', BASH_ENV: '/x', ENV: '/x', LD_PRELOAD: '', // (the sh -c below is dynamically linked)
      LD_LIBRARY_PATH: '/x', FROM_THE_CALLER: 'yes', PATHX: 'x', XTSRUN_A: 'x',
      'TSRUN-A': 'not a name', '1TSRUN': 'not a name',
      // The launcher's own values replace a caller's.
      TSRUN_INHERITED_FDS: '9', TSRUN_INHERITED_NOFILE: '1', TSRUN_WARM_FD: '9',
    };
    const soft = 1000;
    const { env: got, argv } = handed('sh', ['-c', `ulimit -Sn ${soft} && exec "$0" "$@"`, bin, 'list'], caller);
    assert.deepEqual(argv.slice(1), ['list']);
    const want = Object.entries(caller)
      .filter(([k]) => /^(PATH|HOME|USER|LOGNAME|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS|NOTIFY_SOCKET|LISTEN_FDS|LISTEN_PID|LISTEN_FDNAMES|DEBUG|DEBUG_.*|TSRUN_(?!INHERITED_|WARM_FD).*|LANG|LANGUAGE|LC_.*|TZ|TERM|COLUMNS|LINES)$/.test(k))
      .map(([k, v]) => `${k}=${v}`)
      .concat([`TSRUN_INHERITED_NOFILE=${soft}`, 'TSRUN_INHERITED_FDS=0']);
    assert.deepEqual(got, want.sort());
  });

  test('TSRUN_INHERITED_FDS: the fds from 3 up to the first one not open, counted before the launcher opens any', () => {
    const { bin } = standInPackage(allEntries);
    const a = fs.openSync('/dev/null', 'r');
    const b = fs.openSync('/dev/null', 'r');
    try {
      const count = (stdio: ('pipe' | 'ignore' | number)[]) =>
        handed(bin, ['list'], env, stdio).env.find((kv) => kv.startsWith('TSRUN_INHERITED_FDS='));
      assert.equal(count(['ignore', 'pipe', 'pipe']), 'TSRUN_INHERITED_FDS=0');
      assert.equal(count(['ignore', 'pipe', 'pipe', a]), 'TSRUN_INHERITED_FDS=1');
      assert.equal(count(['ignore', 'pipe', 'pipe', a, b, a]), 'TSRUN_INHERITED_FDS=3');
      // A gap ends the count: fd 5 is not the caller's to pass on when 4 is closed.
      assert.equal(count(['ignore', 'pipe', 'pipe', a, 'ignore', b]), 'TSRUN_INHERITED_FDS=1');
    } finally {
      fs.closeSync(a);
      fs.closeSync(b);
    }
  });
});

/** Hybrid (or v1) cgroups, where the container's stage 0 is moved into v1 hierarchies: where the launcher warms the attach. */
const hybridHost = fs.existsSync('/sys/fs/cgroup/unified/cgroup.procs');
const skipUnlessRootOnHybrid = skipUnlessRoot || (hybridHost ? false : 'the launcher warms cgroup attaches only on a hybrid host (this one is not)');

/** Held by the running warm-up, so that only one runs at a time, host-wide. */
const WARM_LOCK = '/run/tsrun-warm-up.lock';

/** The pids whose command line starts with bin: a launcher, or its warm-up process (a fork of it). */
function launcherProcesses(bin: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0] === bin) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe("bin/tsrun: the cgroup-attach warm-up it starts before node (cgroup-warm.ts)", { skip: skipUnlessRootOnHybrid }, () => {
  // A stand-in node that reports what it was handed: TSRUN_WARM_FD and what
  // that fd is, and the warm-up process (a fork of the launcher, so its
  // command line is the launcher's) and its fds.
  const script = [
    '#!/bin/sh',
    'echo "warm-fd=${TSRUN_WARM_FD:-none}"',
    '[ -n "$TSRUN_WARM_FD" ] && echo "warm-fd-is=$(readlink /proc/$$/fd/$TSRUN_WARM_FD | cut -d: -f1)"',
    'for p in $(pgrep -f "^$TSRUN_TEST_WARM_BIN "); do [ "$p" = $$ ] || for f in /proc/$p/fd/*; do echo "warmer-fd=${f##*/}:$(readlink $f | sed \'s/:.*//\')"; done; done',
    '',
  ].join('\n');

  /**
   * Runs the launcher until it started a warm-up of its own: another test
   * file's create may hold the host-wide warm-up lock for up to its 500 ms
   * cap, and then the launcher rightly says "elsewhere". A launcher that
   * never warms still fails: it is given 5 s.
   */
  async function withOwnWarmUp(run: () => string): Promise<string> {
    let out = run();
    for (let i = 0; i < 100 && /^warm-fd=elsewhere$/m.test(out); i++) {
      await sleep(50);
      out = run();
    }
    return out;
  }

  test('create, run, exec and restore as root get a pipe end; other commands none; the caller\'s value never passes', async () => {
    const { bin } = standInPackage(allEntries, script);
    // (TSRUN_*: the launcher passes it on.)
    const env = { PATH: process.env.PATH, TSRUN_TEST_WARM_BIN: bin, TSRUN_WARM_FD: '7' };
    const handedWarm = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] }).stdout;
    for (const word of ['create', 'run', 'exec', 'restore']) {
      const out = await withOwnWarmUp(() => handedWarm(['--root', '/nonexistent', word, 'x']));
      assert.match(out, /^warm-fd=\d+$/m, word);
      assert.doesNotMatch(out, /^warm-fd=7$/m, word);
      assert.match(out, /^warm-fd-is=pipe$/m, word);
      // The warm-up holds only /dev/null as stdio, the cgroup.procs it writes, the pipe's other end and
      // the host-wide lock: none of the caller's.
      const fds = out.split('\n').filter((l) => l.startsWith('warmer-fd=')).map((l) => l.slice('warmer-fd='.length)).sort();
      assert.deepEqual(
        fds,
        ['0:/dev/null', '1:/dev/null', '2:/dev/null', '3:/sys/fs/cgroup/unified/cgroup.procs', '4:pipe', `5:${WARM_LOCK}`].sort(),
        `${word}: ${out}`,
      );
    }
    for (const args of [['state', 'x'], ['delete', 'x'], ['list'], ['ps', 'x'], ['--version']]) {
      assert.match(handedWarm(args), /^warm-fd=none$/m, args.join(' '));
    }
  });

  test('the warm-up ends with node: nothing of it is left once the command has exited', async () => {
    const { bin } = standInPackage(allEntries, script);
    const out = await withOwnWarmUp(
      () => spawnSync(bin, ['create', 'x'], { encoding: 'utf8', env: { PATH: process.env.PATH, TSRUN_TEST_WARM_BIN: bin }, stdio: ['ignore', 'pipe', 'pipe'] }).stdout,
    );
    assert.match(out, /^warmer-fd=4:pipe$/m, 'control: the warm-up ran while node did');
    // It stops when the pipe closes (it would otherwise run to its 500 ms cap).
    let left = launcherProcesses(bin);
    for (let i = 0; i < 10 && left.length; i++) {
      await sleep(10);
      left = launcherProcesses(bin);
    }
    assert.deepEqual(left, []);
  });

  test('one warm-up at a time, host-wide: while another holds the lock, the launcher starts none and says "elsewhere"', async () => {
    const { bin } = standInPackage(allEntries, script);
    const env = { PATH: process.env.PATH, TSRUN_TEST_WARM_BIN: bin };
    const create = () => spawnSync(bin, ['create', 'x'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] }).stdout;
    // flock(1) holds the lock as another warm-up would (its sh, which prints once it has it, does not: -o)
    // until its stdin closes.
    const holder = spawn('flock', ['-o', '--exclusive', WARM_LOCK, 'sh', '-c', 'echo held; read x'], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
      });
      const out = create();
      assert.match(out, /^warm-fd=elsewhere$/m);
      assert.doesNotMatch(out, /^warmer-fd=/m, 'a warm-up process ran while the lock was held');
    } finally {
      holder.stdin!.end();
      await new Promise((r) => (holder.exitCode === null && holder.signalCode === null ? holder.once('exit', r) : r(undefined)));
    }
    // Once it is free, the launcher warms again, and the lock file is root's alone.
    const again = await withOwnWarmUp(create);
    assert.match(again, /^warm-fd=\d+$/m);
    assert.match(again, new RegExp(`^warmer-fd=5:${WARM_LOCK}$`, 'm'));
    const st = fs.statSync(WARM_LOCK);
    assert.equal(st.mode & 0o7777, 0o600);
    assert.equal(st.uid, 0);
  });

  test('a lock file made with another mode is made 0600 again, so that no other user can hold it', async () => {
    const { bin } = standInPackage(allEntries, script);
    const env = { PATH: process.env.PATH, TSRUN_TEST_WARM_BIN: bin };
    fs.chmodSync(WARM_LOCK, 0o644);
    const out = await withOwnWarmUp(() => spawnSync(bin, ['create', 'x'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] }).stdout);
    assert.match(out, /^warm-fd=\d+$/m);
    assert.equal(fs.statSync(WARM_LOCK).mode & 0o7777, 0o600);
  });
});

describe('bin/tsrun: what reaches node, and what reaches the container', { skip: skipUnlessRoot }, () => {
  const sbs = sideBySide();
  after(() => sbs.cleanup());

  const hostile = {
    NODE_OPTIONS: '--max-old-space-size=1',
    NODE_ICU_DATA: '/nonexistent',
    NODE_EXTRA_CA_CERTS: '/nonexistent.pem',
    NODE_REDIRECT_WARNINGS: '/nonexistent/w',
    NODE_V8_COVERAGE: '/nonexistent/c',
    OPENSSL_CONF: '/nonexistent.cnf',
    BASH_ENV: '/nonexistent.sh',
    LD_PRELOAD: '',
    FROM_THE_CALLER: 'yes',
  };

  test("node's environment is the allow-list's: PATH, HOME, DEBUG, TSRUN_*, NOTIFY_SOCKET, ... and nothing of the rest", async () => {
    const { rt } = sbs;
    const id = uniqueId('env');
    const bundle = makeBundle(['sleep', '30']);
    const env: NodeJS.ProcessEnv = { ...process.env, ...hostile, TSRUN_SOMETHING: 'kept', DEBUG: 'nothing:*', LISTEN_FDS: '0', TSRUN_INHERITED_FDS: '9' };
    // A foreground run stays up, so its environ can be read; the pid is the launched one (exec all the way).
    const child = spawn(tsrunBin, ['--root', rt.root, 'run', '--bundle', bundle, id], { env, stdio: 'ignore' });
    try {
      let environ = '';
      for (let i = 0; i < 500 && !environ.includes('TSRUN_INHERITED_NOFILE'); i++) {
        await sleep(20);
        if (fs.readlinkSync(`/proc/${child.pid}/exe`) === nodePath) environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8');
      }
      const names = environ.split('\0').filter(Boolean).map((kv) => kv.slice(0, kv.indexOf('=')));
      for (const name of Object.keys(hostile)) assert.ok(!names.includes(name), `${name} reached node`);
      for (const name of ['PATH', 'TSRUN_SOMETHING', 'TSRUN_INHERITED_NOFILE', 'DEBUG', 'LISTEN_FDS']) assert.ok(names.includes(name), `${name} did not reach node`);
      assert.ok(environ.split('\0').includes(`PATH=${process.env.PATH}`));
      assert.ok(environ.split('\0').includes('TSRUN_INHERITED_FDS=0'), 'the caller set TSRUN_INHERITED_FDS');
      // run's own entry (the whole CLI's in a build without it), by an absolute path.
      const argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      const createEntry = path.join(repoRoot, 'dist', 'tsrun-create-launch.cjs');
      const entry = fs.existsSync(createEntry) ? createEntry : path.join(repoRoot, 'dist', 'tsrun-launch.cjs');
      assert.deepEqual(argv.slice(0, 4), [nodePath, '--preserve-symlinks-main', entry, '--root']);
      await rt.waitStatus(id, 'running');
    } finally {
      rt.run(['kill', id, 'KILL']);
      await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.on('exit', r) : r(undefined)));
    }
    assert.ok(!processLives(child.pid!));
  });

  test("the container's environment is config.json's (and HOME from /etc/passwd when it has none), as with runc", (t) => {
    const { rt, runc } = sbs;
    if (!runc) return t.skip('runc is not installed');
    const outputs = [rt, runc].map((r) => {
      const bundle = makeBundle(['env'], (c) => {
        c.process.env = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'TERM=dumb'];
      });
      const res = runToFiles(r.bin, ['--root', r.root, 'run', '--bundle', bundle, uniqueId('env')], r.root, {
        env: { ...process.env, ...hostile },
        timeout: 30_000,
      }).result;
      assert.equal(res.code, 0, `${r.bin}: ${res.stderr}`);
      return res.stdout.split('\n').filter(Boolean).sort();
    });
    assert.deepEqual(outputs[0], outputs[1]);
    assert.deepEqual(outputs[0], ['A=1', 'HOME=/root', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=dumb']);
  });

  test("the warm-up's pipe end reaches no hook: a hook's daemon does not keep the warm-up going after create", async () => {
    const { rt } = sbs;
    const id = uniqueId('warm');
    const envFile = path.join(scratch, `${id}.env`);
    const pidFile = path.join(scratch, `${id}.pid`);
    // A hook without env gets node's environment, and its background sleep every fd node let it inherit.
    const bundle = makeBundle(['true'], (c) => {
      c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `env > ${envFile}; sleep 30 </dev/null >/dev/null 2>&1 & echo $! > ${pidFile}`] }] };
    });
    const r = runToFiles(tsrunBin, ['--root', rt.root, 'create', '--bundle', bundle, id], scratch, { timeout: 30_000 }).result;
    try {
      assert.equal(r.code, 0, r.stderr);
      const env = fs.readFileSync(envFile, 'utf8');
      assert.doesNotMatch(env, /^TSRUN_WARM_FD=/m);
      assert.match(env, /^TSRUN_INHERITED_NOFILE=/m, "control: the hook has node's environment");
      // Had the sleep inherited the pipe end, the warm-up would run on to its 500 ms cap.
      const ours = () => launcherProcesses(tsrunBin).filter((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${rt.root}\0create`));
      for (let i = 0; i < 10 && ours().length; i++) await sleep(10);
      assert.deepEqual(ours(), []);
    } finally {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // not started
      }
      rt.run(['delete', '-f', id]);
    }
  });

  test("a caller's TSRUN_INHERITED_FDS does not let --preserve-fds pass node's own fd 3", () => {
    const { rt } = sbs;
    const r = runToFiles(tsrunBin, ['--root', rt.root, 'run', '--preserve-fds', '1', '--bundle', makeBundle(['ls', '-l', '/proc/self/fd/3']), uniqueId('fds')], scratch, {
      env: { ...process.env, TSRUN_INHERITED_FDS: '1' },
      timeout: 30_000,
    }).result;
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /--preserve-fds 1: fd 3 is not open/);
  });

  test('without dist/node-path: node from PATH, with a one-line hint naming the rebuild', () => {
    // A copy of the launcher beside a dist without node-path.
    const pkg = fs.mkdtempSync(path.join(scratch, 'pkg-'));
    fs.mkdirSync(path.join(pkg, 'bin'));
    fs.copyFileSync(tsrunBin, path.join(pkg, 'bin', 'tsrun'));
    fs.symlinkSync(path.join(repoRoot, 'build'), path.join(pkg, 'build'));
    fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
    fs.mkdirSync(path.join(pkg, 'dist'));
    for (const f of fs.readdirSync(path.join(repoRoot, 'dist'))) {
      if (f !== 'node-path') fs.symlinkSync(path.join(repoRoot, 'dist', f), path.join(pkg, 'dist', f));
    }
    const r = spawnSync(path.join(pkg, 'bin', 'tsrun'), ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(nodePath)}:${process.env.PATH}` } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^tsrun version /);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1);
    assert.match(r.stderr, /npm run build:ts/);
  });
});
