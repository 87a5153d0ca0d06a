// runtime-spec config.md "POSIX-platform Hooks" and runtime.md "Lifecycle"
// and "State": the six hooks on real containers, as root. Where runc 1.1.5
// supports a rule the same scenario runs under runc too and the two are
// compared; where runc 1.1.5 departs from the spec the test says how, and
// checks runc's side only on that version.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNothingLeft, hasRunc, makeBundle, processLives, Runtime, skipUnlessRoot, sleep, uniqueId, type Result } from '../test/integration/harness.js';

const NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
type Name = (typeof NAMES)[number];
type Hook = { path: string; args?: string[]; env?: string[]; timeout?: number };
type Hooks = Partial<Record<Name, Hook[]>>;

// The container sees the record directory here; the host at its own path.
const INSIDE = '/hooklog';
const runc115 = hasRunc && /runc version 1\.1\.5\b/.test(spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout);
// A variable of tsrun's (and runc's) own environment: runtime hooks without env inherit it.
const MARKER = 'TSRUN_HOOKS_TEST_MARKER=from-the-caller';

/** Where a hook of this name writes its records: the host path, or the bind mount inside. */
const dirFor = (name: Name, hostDir: string) => (name === 'startContainer' ? INSIDE : hostDir);

/**
 * A hook that leaves what it saw in dir: its line in `order`, its stdin, its
 * mount and pid namespaces, its environ and cwd; and writes to stdout and
 * stderr, which must not reach the caller.
 */
function recorder(name: Name, hostDir: string, extra = ''): Hook {
  const d = dirFor(name, hostDir);
  return {
    path: '/bin/sh',
    args: ['sh', '-c', [
      `echo ${name} >> ${d}/order`,
      `cat > ${d}/${name}.state`,
      `readlink /proc/self/ns/mnt > ${d}/${name}.mnt`,
      `readlink /proc/self/ns/pid > ${d}/${name}.pidns`,
      `tr '\\0' '\\n' < /proc/self/environ > ${d}/${name}.env`,
      `pwd > ${d}/${name}.cwd`,
      `echo hook-output-${name}; echo hook-output-${name} >&2`,
      extra,
    ].filter(Boolean).join('; ')],
  };
}

/** A hook that fails with status 3 after writing to stdout and stderr. */
const failing = (name: string): Hook => ({ path: '/bin/sh', args: ['sh', '-c', `cat >/dev/null; echo out-${name}; echo err-${name} >&2; exit 3`] });

const recordDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hooks-'));

function hooksBundle(hostDir: string, hooks: Hooks, args = ['sleep', '30']): string {
  return makeBundle(args, (c) => {
    c.mounts.push({ destination: INSIDE, type: 'bind', source: hostDir, options: ['rbind'] });
    c.annotations = { 'org.example.hooks': 'yes' };
    c.hooks = hooks;
  });
}

const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
const lines = (file: string) => (read(file) ?? '').split('\n').filter(Boolean);
const stateOf = (dir: string, name: Name) => JSON.parse(read(path.join(dir, `${name}.state`)) ?? 'null');

/** The last error or warning message the command logged (logrus text format). */
function logged(r: Result, level: 'error' | 'warning'): string[] {
  return r.stderr.split('\n').flatMap((l) => {
    const m = new RegExp(`level=${level} msg=("(?:[^"\\\\]|\\\\.)*"|\\S*)$`).exec(l);
    return m ? [m[1].startsWith('"') ? JSON.parse(m[1]) : m[1]] : [];
  });
}

/** Pids of live processes whose argv is exactly argv. */
function processesWithArgv(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === want && processLives(Number(p));
    } catch {
      return false;
    }
  }).map(Number);
}

interface Lifecycle {
  pid: number;
  ns: { mnt: string; pid: string };
  output: string;
}

/** create, start, kill, delete: every hook gets its turn. */
async function lifecycle(rt: Runtime, bundle: string, id: string): Promise<Lifecycle> {
  const c = rt.run(['create', '--bundle', bundle, id]);
  assert.equal(c.code, 0, `${rt.bin} create: ${c.stderr}`);
  const pid = Number(rt.state(id).pid);
  const ns = { mnt: fs.readlinkSync(`/proc/${pid}/ns/mnt`), pid: fs.readlinkSync(`/proc/${pid}/ns/pid`) };
  const s = rt.run(['start', id]);
  assert.equal(s.code, 0, `${rt.bin} start: ${s.stderr}`);
  assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
  await rt.waitStatus(id, 'stopped');
  const d = rt.run(['delete', id]);
  assert.equal(d.code, 0, `${rt.bin} delete: ${d.stderr}`);
  return { pid, ns, output: [c, s, d].map((r) => r.stdout + r.stderr).join('') };
}

describe('config.md "POSIX-platform Hooks" and runtime.md "Lifecycle"', { skip: skipUnlessRoot }, () => {
  const tsrun = skipUnlessRoot ? undefined! : new Runtime();
  const runc = skipUnlessRoot || !hasRunc ? undefined : new Runtime('runc', 'runc-test-root-');
  const runtimes = () => [tsrun, ...(runc ? [runc] : [])];
  const dirs: string[] = [];
  const host = { mnt: fs.readlinkSync('/proc/self/ns/mnt'), pid: fs.readlinkSync('/proc/self/ns/pid') };
  let helper: ChildProcess | undefined;
  const savedEnv = process.env.TSRUN_HOOKS_TEST_MARKER;

  before(() => {
    process.env.TSRUN_HOOKS_TEST_MARKER = MARKER.split('=')[1];
  });
  after(() => {
    if (savedEnv === undefined) delete process.env.TSRUN_HOOKS_TEST_MARKER;
    else process.env.TSRUN_HOOKS_TEST_MARKER = savedEnv;
    helper?.kill('SIGKILL');
    for (const rt of runtimes()) rt.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const newDir = () => {
    const d = recordDir();
    dirs.push(d);
    return d;
  };

  /** All six recorders, a lifecycle, and what they saw, for one runtime. */
  async function recordAll(rt: Runtime, label: string) {
    const dir = newDir();
    const hooks = Object.fromEntries(NAMES.map((n) => [n, [recorder(n, dir,
      // poststart also notes which program the container's pid runs by then.
      n === 'poststart' ? `p=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' ${dir}/poststart.state); tr '\\0' ' ' < /proc/$p/cmdline > ${dir}/poststart.cmdline` : '')]]));
    const bundle = hooksBundle(dir, hooks);
    const run = await lifecycle(rt, bundle, uniqueId(`all-${label}`));
    const seen = Object.fromEntries(NAMES.map((n) => {
      const s = stateOf(dir, n);
      const mnt = read(path.join(dir, `${n}.mnt`))?.trim();
      const pidns = read(path.join(dir, `${n}.pidns`))?.trim();
      const where = (a?: string, b?: string) =>
        a === host.mnt && b === host.pid ? 'runtime' : a === run.ns.mnt && b === run.ns.pid ? 'container' : `other ${a} ${b}`;
      return [n, {
        keys: s && Object.keys(s),
        status: s?.status,
        pid: s?.pid === run.pid ? 'host view' : s?.pid === 1 ? 'container view' : s?.pid,
        id: s?.id === undefined ? undefined : s.id.startsWith('all-'),
        bundle: s?.bundle === bundle,
        annotations: s?.annotations,
        namespace: where(mnt, pidns),
      }];
    }));
    assertNothingLeft(rt, [bundle]);
    return { dir, bundle, run, seen, order: lines(path.join(dir, 'order')) };
  }

  const withPid = ['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations'];
  const EXPECTED = {
    prestart: { keys: withPid, status: 'creating', pid: 'host view', namespace: 'runtime' },
    createRuntime: { keys: withPid, status: 'creating', pid: 'host view', namespace: 'runtime' },
    createContainer: { keys: withPid, status: 'creating', pid: 'container view', namespace: 'container' },
    startContainer: { keys: withPid, status: 'created', pid: 'container view', namespace: 'container' },
    poststart: { keys: withPid, status: 'running', pid: 'host view', namespace: 'runtime' },
    poststop: { keys: ['ociVersion', 'id', 'status', 'bundle', 'annotations'], status: 'stopped', pid: undefined, namespace: 'runtime' },
  };
  const expected = (over: Partial<Record<Name, object>> = {}) =>
    Object.fromEntries(NAMES.map((n) => [n, { ...EXPECTED[n], id: true, bundle: true, annotations: { 'org.example.hooks': 'yes' }, ...over[n] }]));

  test('runtime.md "Lifecycle" steps 3-13 and "State": the order, namespace and state of all six hooks', async () => {
    const t = await recordAll(tsrun, 'tsrun');
    assert.deepEqual(t.order, [...NAMES], 'the lifecycle order');
    assert.deepEqual(t.seen, expected());
    // poststart comes after the user's program is exec'd: the pid runs it by then.
    assert.equal(read(path.join(t.dir, 'poststart.cmdline')), 'sleep 30 ');
    assert.ok(!t.run.output.includes('hook-output'), `a hook's stdout or stderr reached the caller: ${t.run.output}`);
    // Runtime hooks run from the bundle, createContainer from the rootfs (before pivot_root), as with runc.
    assert.equal(read(path.join(t.dir, 'prestart.cwd'))?.trim(), t.bundle);
    assert.equal(read(path.join(t.dir, 'startContainer.cwd'))?.trim(), '/');
    if (!runc) return;
    const r = await recordAll(runc, 'runc');
    assert.ok(!r.run.output.includes('hook-output'), 'runc does not pass hook output on either');
    assert.equal(read(path.join(r.dir, 'createContainer.cwd')), read(path.join(t.dir, 'createContainer.cwd')), 'createContainer cwd: the rootfs');
    if (!runc115) return;
    // runc 1.1.5 runs poststart at the end of `create`, where the process is
    // still `runc init`; runtime.md has it after `start` ran the program.
    assert.deepEqual(r.order, ['prestart', 'createRuntime', 'createContainer', 'poststart', 'startContainer', 'poststop']);
    assert.deepEqual(r.seen, expected({ poststart: { status: 'created' } }));
    assert.equal(read(path.join(r.dir, 'poststart.cmdline')), 'runc init ');
  });

  test('config.md "POSIX-platform Hooks" path and args: execve(path, args), args[0] differing (docker\'s /proc/<pid>/exe)', async () => {
    // docker 20.10's prestart hook is /proc/<dockerd>/exe with args[0]
    // "libnetwork-setkey"; here a static busybox, which runs as its args[0].
    helper ??= spawn('/usr/bin/busybox', ['sleep', '600'], { stdio: 'ignore' });
    const exe = `/proc/${helper.pid}/exe`;
    assert.ok(fs.readlinkSync(exe).endsWith('busybox'));
    for (const rt of runtimes()) {
      const dir = newDir();
      const argv0 = (name: Name, p: string): Hook => ({
        path: p,
        args: ['sh', '-c', `cat > /dev/null; echo "$0" > ${dirFor(name, dir)}/${name}.argv0`],
      });
      const hooks: Hooks = {
        prestart: [argv0('prestart', exe)],
        createRuntime: [argv0('createRuntime', exe)],
        // Before pivot_root the host's /proc is still there.
        createContainer: [argv0('createContainer', exe)],
        startContainer: [argv0('startContainer', '/bin/busybox')],
        poststart: [argv0('poststart', exe)],
        poststop: [argv0('poststop', exe)],
      };
      const bundle = hooksBundle(dir, hooks);
      await lifecycle(rt, bundle, uniqueId('argv0'));
      for (const n of NAMES) assert.equal(read(path.join(dir, `${n}.argv0`)), 'sh\n', `${rt.bin}: ${n} ran with args[0] "sh"`);
      assertNothingLeft(rt, [bundle]);
    }
  });

  test('config.md "POSIX-platform Hooks" env: exactly the given environ; without env, the runtime\'s (runtime hooks) or the process\'s (container hooks)', async () => {
    const seen = [];
    for (const rt of runtimes()) {
      const dir = newDir();
      const hooks: Hooks = {
        // A repeated name: only its last entry counts (Go's os/exec, so runc).
        prestart: [{ ...recorder('prestart', dir), env: ['HOOK_A=1', 'HOOK_B=two words', 'HOOK_A=3'] }],
        createRuntime: [recorder('createRuntime', dir)],
        createContainer: [recorder('createContainer', dir)],
        startContainer: [{ ...recorder('startContainer', dir), env: ['IN_CONTAINER=1'] }],
      };
      const bundle = hooksBundle(dir, hooks);
      await lifecycle(rt, bundle, uniqueId('env'));
      const env = (n: Name) => lines(path.join(dir, `${n}.env`));
      const one = {
        prestart: env('prestart'),
        createRuntimeHasCallers: env('createRuntime').includes(MARKER),
        createContainer: env('createContainer'),
        startContainer: env('startContainer'),
      };
      assertNothingLeft(rt, [bundle]);
      seen.push(one);
    }
    assert.deepEqual(seen[0], {
      prestart: ['HOOK_B=two words', 'HOOK_A=3'],
      createRuntimeHasCallers: true,
      createContainer: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      startContainer: ['IN_CONTAINER=1'],
    });
    if (seen[1]) assert.deepEqual(seen[0], seen[1], 'tsrun (actual) and runc (expected) differ');
  });

  test('config.md "POSIX-platform Hooks" path: must be absolute (refused before anything runs)', () => {
    const dir = newDir();
    const bundle = hooksBundle(dir, { prestart: [recorder('prestart', dir)], poststop: [{ path: 'bin/true' }] });
    const r = tsrun.run(['create', '--bundle', bundle, uniqueId('relpath')]);
    assert.equal(r.code, 1);
    assert.deepEqual(logged(r, 'error'), ['config.json: /hooks/poststop/0/path: hook path "bin/true" must be absolute']);
    assert.equal(read(path.join(dir, 'order')), undefined, 'no hook ran');
    assertNothingLeft(tsrun, [bundle]);
  });

  // runtime.md "Lifecycle": a failing prestart, createRuntime or createContainer hook fails create, the
  // container is stopped and destroyed, and the lifecycle goes on to the poststop hooks.
  for (const name of ['prestart', 'createRuntime', 'createContainer'] as const) {
    test(`runtime.md "Lifecycle": a failing ${name} hook fails create and leaves nothing; poststop runs`, async () => {
      for (const rt of runtimes()) {
        const dir = newDir();
        // The first prestart records init's host pid; the failing hook comes after it.
        const hooks: Hooks = {
          prestart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/init.state`] }],
          createRuntime: [recorder('createRuntime', dir)],
          createContainer: [recorder('createContainer', dir)],
          startContainer: [recorder('startContainer', dir)],
          poststop: [recorder('poststop', dir)],
        };
        hooks[name] = [...(name === 'prestart' ? hooks.prestart! : []), failing(name)];
        const failingIndex = name === 'prestart' ? 1 : 0;
        const bundle = hooksBundle(dir, hooks);
        const r = rt.run(['create', '--bundle', bundle, '--pid-file', path.join(dir, 'pidfile'), uniqueId(`fail-${name}`)]);
        assert.equal(r.code, 1, `${rt.bin}: ${r.stderr}`);
        const msg = logged(r, 'error').join('\n');
        if (rt === tsrun) {
          assert.equal(msg, `config.json: /hooks/${name}/${failingIndex}: hook /bin/sh exited with status 3, stdout: out-${name}, stderr: err-${name}`);
        } else {
          assert.match(msg, /exit status 3/);
        }
        const initPid = JSON.parse(read(path.join(dir, 'init.state'))!).pid;
        assert.ok(initPid > 0 && !processLives(initPid), `${rt.bin}: the container's init (${initPid}) is gone`);
        const before = { prestart: [], createRuntime: [], createContainer: ['createRuntime'] }[name];
        assert.deepEqual(lines(path.join(dir, 'order')), [...before, 'poststop'], `${rt.bin}: no hook ran after the failing one but poststop`);
        assert.equal(stateOf(dir, 'poststop').status, 'stopped');
        assert.ok(!fs.existsSync(path.join(dir, 'pidfile')), 'no pid file');
        assertNothingLeft(rt, [bundle]);
      }
    });
  }

  test('config.md "POSIX-platform Hooks": a hook that cannot be executed fails create, naming it', () => {
    for (const name of ['prestart', 'createContainer'] as const) {
      for (const rt of runtimes()) {
        const dir = newDir();
        const bundle = hooksBundle(dir, { [name]: [{ path: '/nonexistent/hook', args: ['hook'] }], poststop: [recorder('poststop', dir)] });
        const r = rt.run(['create', '--bundle', bundle, uniqueId('missing')]);
        assert.equal(r.code, 1);
        const msg = logged(r, 'error').join('\n');
        assert.match(msg, /no such file or directory/, `${rt.bin}: ${msg}`);
        if (rt === tsrun) assert.equal(msg, `config.json: /hooks/${name}/0: hook /nonexistent/hook could not be executed: no such file or directory`);
        assert.deepEqual(lines(path.join(dir, 'order')), ['poststop']);
        assertNothingLeft(rt, [bundle]);
      }
    }
  });

  test('config.md "POSIX-platform Hooks" timeout: the hook is killed once it is exceeded and create fails, naming it', () => {
    for (const name of ['createRuntime', 'createContainer'] as const) {
      for (const rt of runtimes()) {
        const dir = newDir();
        // An argv no other process has: after the timeout it must be gone.
        const argv = ['sleep', String(1000 + Math.floor(Math.random() * 1e6))];
        const bundle = hooksBundle(dir, {
          prestart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/init.state`] }],
          [name]: [{ path: '/bin/sleep', args: argv, timeout: 1 }],
        });
        const t0 = Date.now();
        const r = rt.run(['create', '--bundle', bundle, uniqueId('timeout')]);
        const took = Date.now() - t0;
        assert.equal(r.code, 1);
        assert.ok(took >= 900 && took < 8000, `${rt.bin}: create took ${took} ms`);
        const msg = logged(r, 'error').join('\n');
        if (rt === tsrun) assert.equal(msg, `config.json: /hooks/${name}/0: hook /bin/sleep did not finish within its timeout of 1s and was killed`);
        else assert.match(msg, /timeout of 1\.0s/);
        assert.deepEqual(processesWithArgv(argv), [], `${rt.bin}: the hook was killed`);
        assert.ok(!processLives(JSON.parse(read(path.join(dir, 'init.state'))!).pid), 'no init is left');
        assertNothingLeft(rt, [bundle]);
      }
    }
  });

  test('runtime.md "Errors": create killed while a createContainer hook runs leaves no hook, init or state', async () => {
    const dir = newDir();
    const argv = ['sleep', String(1000 + Math.floor(Math.random() * 1e6))];
    const bundle = hooksBundle(dir, {
      prestart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/init.state`] }],
      createContainer: [{ path: '/bin/sleep', args: argv }],
    });
    const child = spawn(tsrun.bin, ['--root', tsrun.root, 'create', '--bundle', bundle, uniqueId('killed')], { stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    for (let i = 0; i < 250 && processesWithArgv(argv).length === 0; i++) await sleep(20);
    assert.equal(processesWithArgv(argv).length, 1, 'the hook runs');
    child.kill('SIGKILL');
    await closed;
    // Init sees its socket close, kills the hook and exits.
    const initPid = JSON.parse(read(path.join(dir, 'init.state'))!).pid;
    for (let i = 0; i < 100 && (processLives(initPid) || processesWithArgv(argv).length); i++) await sleep(20);
    assert.deepEqual(processesWithArgv(argv), [], 'the hook is gone');
    assert.ok(!processLives(initPid), 'the init is gone');
    tsrun.run(['list']); // sweeps the state dir the killed create left
    assertNothingLeft(tsrun, [bundle]);
  });

  test('runtime.md "Lifecycle" startContainer: a failing hook fails start, the process never runs', async () => {
    for (const failure of ['status', 'timeout'] as const) {
      for (const rt of runtimes()) {
        const dir = newDir();
        const hook = failure === 'status'
          ? { path: '/bin/sh', args: ['sh', '-c', 'echo out-start; echo err-start >&2; exit 3'] }
          : { path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 };
        const bundle = hooksBundle(dir, { startContainer: [hook], poststop: [recorder('poststop', dir)] }, ['sh', '-c', `echo ran > ${INSIDE}/ran`]);
        const id = uniqueId('failstart');
        assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
        const pid = Number(rt.state(id).pid);
        const s = rt.run(['start', id]);
        if (rt === tsrun) {
          assert.equal(s.code, 1);
          assert.deepEqual(logged(s, 'error'), [failure === 'status'
            ? 'config.json: /hooks/startContainer/0: hook /bin/sh exited with status 3, stdout: out-start, stderr: err-start'
            : 'config.json: /hooks/startContainer/0: hook /bin/sleep did not finish within its timeout of 1s and was killed']);
        } else if (runc115) {
          // runc 1.1.5's start does not wait for init: it exits 0 and init
          // writes the error to the container's stderr. runtime.md asks for an error.
          assert.equal(s.code, 0);
        }
        await rt.waitStatus(id, 'stopped');
        assert.ok(!processLives(pid));
        assert.equal(read(path.join(dir, 'ran')), undefined, `${rt.bin}: the process did not run`);
        assert.equal(rt.run(['delete', id]).code, 0);
        assert.deepEqual(lines(path.join(dir, 'order')), ['poststop'], 'delete ran poststop');
        assertNothingLeft(rt, [bundle]);
      }
    }
  });

  test('runtime.md "Lifecycle" poststart: a failing hook is a warning; the other hooks and the container go on', async () => {
    const dir = newDir();
    const bundle = hooksBundle(dir, { poststart: [failing('poststart'), recorder('poststart', dir)] });
    const id = uniqueId('failpoststart');
    assert.equal(tsrun.run(['create', '--bundle', bundle, id]).code, 0);
    const s = tsrun.run(['start', id]);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(logged(s, 'warning'), ['config.json: /hooks/poststart/0: hook /bin/sh exited with status 3, stdout: out-poststart, stderr: err-poststart']);
    assert.deepEqual(logged(s, 'error'), []);
    assert.deepEqual(lines(path.join(dir, 'order')), ['poststart'], 'the next poststart hook ran');
    assert.equal(tsrun.state(id).status, 'running');
    assert.equal(tsrun.run(['delete', '--force', id]).code, 0);
    assertNothingLeft(tsrun, [bundle]);
    if (runc115) {
      // runc 1.1.5 runs poststart inside `create`, and its failure fails create.
      const r = runc!.run(['create', '--bundle', bundle, uniqueId('failpoststart-runc')]);
      assert.equal(r.code, 1);
      assertNothingLeft(runc!, [bundle]);
    }
  });

  test('runtime.md "Lifecycle" poststop: a failing hook is a warning; the other hooks run and delete succeeds', () => {
    const dir = newDir();
    const bundle = hooksBundle(dir, { poststop: [failing('poststop'), recorder('poststop', dir)] });
    const id = uniqueId('failpoststop');
    assert.equal(tsrun.run(['create', '--bundle', bundle, id]).code, 0);
    const d = tsrun.run(['delete', '--force', id]);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(logged(d, 'warning'), ['config.json: /hooks/poststop/0: hook /bin/sh exited with status 3, stdout: out-poststop, stderr: err-poststop']);
    assert.deepEqual(lines(path.join(dir, 'order')), ['poststop'], 'the next poststop hook ran');
    assert.equal(tsrun.run(['state', id]).code, 1, 'the container is gone');
    assertNothingLeft(tsrun, [bundle]);
    if (runc115) {
      // runc 1.1.5 also exits 0, but stops at the failing hook.
      const rid = uniqueId('failpoststop-runc');
      assert.equal(runc!.run(['create', '--bundle', bundle, rid]).code, 0);
      assert.equal(runc!.run(['delete', '--force', rid]).code, 0);
      assert.deepEqual(lines(path.join(dir, 'order')), ['poststop']);
      assertNothingLeft(runc!, [bundle]);
    }
  });

  test('runtime.md "Lifecycle": `run` in the foreground runs the hooks through poststop', () => {
    for (const rt of runtimes()) {
      const dir = newDir();
      const hooks = Object.fromEntries(NAMES.map((n) => [n, [recorder(n, dir)]]));
      const bundle = hooksBundle(dir, hooks, ['true']);
      const r = rt.run(['run', '--bundle', bundle, uniqueId('run')]);
      assert.equal(r.code, 0, r.stderr);
      const order = lines(path.join(dir, 'order'));
      assert.deepEqual([...order].sort(), [...NAMES].sort(), `${rt.bin}: each hook ran once`);
      assert.equal(order.at(-1), 'poststop');
      assertNothingLeft(rt, [bundle]);
    }
  });
});
