// The runc edge rules container engines rely on (docs/runc-compat.md), checked
// on tsrun: missing ids, deleting a created container, a zombie init and a
// reused pid counting as stopped, --pid-file, invalid and duplicate ids
// (also concurrent creates), create/run failures that must leave nothing
// behind, exit codes of `run`, `kill` signal spellings and refusals, --log and
// --log-format, `list` in its three formats, and `state`'s missing newline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertNothingLeft,
  busyboxRootfs,
  makeBundle,
  processLives,
  Runtime,
  skipUnlessRoot,
  sleep,
  uniqueId,
  type Result,
} from './harness.js';

const hasPythonCtypes = spawnSync('python3', ['-c', 'import ctypes']).status === 0;

/** Pids of live tsrun-init processes (pgrep -x tsrun-init). */
function tsrunInits(): Set<number> {
  const r = spawnSync('pgrep', ['-x', 'tsrun-init'], { encoding: 'utf8' });
  return new Set(r.stdout.split('\n').filter(Boolean).map(Number).filter(processLives));
}

function fdLinks(pid: number): string[] {
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
function initsUnder(root: string): number[] {
  return [...tsrunInits()].filter((pid) => fdLinks(pid).some((l) => l.startsWith(root + '/'))).sort();
}

/**
 * tsrun-init processes that appeared since `before` and are still alive.
 * Other test files may run containers meanwhile (npm test runs two files at a
 * time), so a new init only counts against us if it holds a file under our
 * root or bundle, or cannot be attributed (its fds are unreadable).
 */
function newInits(before: Set<number>, root: string, bundle: string): number[] {
  return [...tsrunInits()].filter((pid) => {
    if (before.has(pid)) return false;
    const links = fdLinks(pid);
    if (links.length === 0) return processLives(pid); // alive but unattributable: count it
    return links.some((l) => l.startsWith(root + '/') || l.startsWith(bundle + '/'));
  });
}

/** Polls until fn() is true. */
async function until(what: string, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
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
async function runUntilReady(rt: Runtime, bundle: string, id: string): Promise<ReturnType<Runtime['spawn']>> {
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
async function waitStopped(rt: Runtime, id: string, pid: number): Promise<void> {
  await until(`the init ${pid} of ${id} is gone`, () => !processLives(pid));
  assert.equal(rt.state(id).status, 'stopped');
}

/** Bare message of the last logrus text line on stderr. */
function errorMsg(stderr: string): string {
  const line = stderr.trimEnd().split('\n').pop() ?? '';
  const m = /level=error msg=("(?:[^"\\]|\\.)*"|\S*)$/.exec(line);
  if (!m) return line;
  return m[1].startsWith('"') ? JSON.parse(m[1]) : m[1];
}

/** Removes a test's own root whatever happened (the test asserts what must be left first). */
function dispose(r: Runtime): void {
  for (const id of r.ids()) r.run(['delete', '--force', id]);
  fs.rmSync(r.root, { recursive: true, force: true });
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

describe('runc edge rules on tsrun', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  let scratch = '';
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-edge-scratch-'));
  });
  after(() => {
    rt.cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** An async `tsrun` whose stdio goes to files: resolves when tsrun exits, not when a container closes its copy. */
  function runAsync(args: string[], opts: { rt?: Runtime; cwd?: string } = {}): Promise<Result> {
    const r = opts.rt ?? rt;
    const tag = uniqueId('io');
    const outFile = path.join(scratch, `${tag}.out`);
    const errFile = path.join(scratch, `${tag}.err`);
    const out = fs.openSync(outFile, 'w');
    const err = fs.openSync(errFile, 'w');
    const child: ChildProcess = spawn(r.bin, ['--root', r.root, ...args], { cwd: opts.cwd, stdio: ['ignore', out, err] });
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

  describe('missing containers', () => {
    test('delete --force of a missing id exits 0 and prints nothing', () => {
      const r = rt.run(['delete', '--force', uniqueId('missing')]);
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
    });

    for (const cmd of ['delete', 'state', 'start', 'kill']) {
      test(`${cmd} of a missing id: exit 1, "container does not exist"`, () => {
        const id = uniqueId('missing');
        const r = rt.run(cmd === 'kill' ? [cmd, id, 'KILL'] : [cmd, id]);
        assert.equal(r.code, 1);
        assert.equal(r.stdout, '');
        assert.equal(errorMsg(r.stderr), 'container does not exist');
        assert.ok(!fs.existsSync(path.join(rt.root, id)), 'no state dir appears');
      });
    }
  });

  test('a created container is deleted without --force, and its init is gone', () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('delcreated');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const pid = Number(rt.state(id).pid);
    assert.ok(processLives(pid));
    const r = rt.run(['delete', id]);
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
    assert.ok(!processLives(pid), 'the init is gone');
    assert.ok(!fs.existsSync(path.join(rt.root, id)), 'the container is gone');
    assertNothingLeft(rt, [bundle]);
  });

  // The init's parent is python, a subreaper that does not reap: the init
  // stays a zombie while python runs `tsrun state`.
  const ZOMBIE_PY = String.raw`
import ctypes, json, os, subprocess, sys, time
tsrun, root, bundle, cid, pidfile = sys.argv[1:6]
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit('prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d' % ctypes.get_errno())
subprocess.run([tsrun, '--root', root, 'run', '-d', '--pid-file', pidfile, '--bundle', bundle, cid],
               check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
pid = int(open(pidfile).read())
def stat():
    s = open('/proc/%d/stat' % pid).read()
    return s[s.rindex(')') + 2:].split(' ')
deadline = time.time() + 10
while stat()[0] != 'Z':
    if time.time() > deadline:
        sys.exit('the init never became a zombie')
    time.sleep(0.01)
ppid = int(stat()[1])
st = subprocess.run([tsrun, '--root', root, 'state', cid], capture_output=True, text=True)
still_zombie = stat()[0] == 'Z'
os.waitpid(pid, 0)
print(json.dumps({'me': os.getpid(), 'ppid': ppid, 'stillZombie': still_zombie,
                  'code': st.returncode, 'stdout': st.stdout, 'stderr': st.stderr}))
`;

  test('a zombie init counts as stopped (pid 0)', { skip: hasPythonCtypes ? false : 'needs python3 with ctypes' }, () => {
    const bundle = makeBundle(['sleep', '0.2']);
    const id = uniqueId('zombie');
    const pidFile = path.join(scratch, `${id}.pid`);
    const py = spawnSync('python3', ['-c', ZOMBIE_PY, rt.bin, rt.root, bundle, id, pidFile], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(py.status, 0, `python failed: ${py.stderr}`);
    const out = JSON.parse(py.stdout);
    assert.equal(out.ppid, out.me, 'the init was reparented to the python subreaper');
    assert.ok(out.stillZombie, 'the init was still an unreaped zombie while state ran');
    assert.equal(out.code, 0, out.stderr);
    const s = JSON.parse(out.stdout);
    assert.equal(s.status, 'stopped');
    assert.equal(s.pid, 0);
    assert.equal(rt.run(['delete', id]).code, 0);
    assertNothingLeft(rt, [bundle]);
  });

  test('a reused pid is not the container: state says stopped, kill refuses and signals nobody', async () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('reuse');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const oldPid = Number(rt.state(id).pid);
    assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
    await until('the init is gone', () => !processLives(oldPid));

    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await until('the stranger sleep runs', () => processLives(stranger.pid!));
      const file = path.join(rt.root, id, 'state.json');
      const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.ok(Number(stored.initStartTime) > 0, 'state.json records the init start time');
      stored.pid = stranger.pid; // initStartTime stays the old init's
      fs.writeFileSync(file, JSON.stringify(stored));

      const s = rt.state(id);
      assert.equal(s.status, 'stopped');
      assert.equal(s.pid, 0);
      const k = rt.run(['kill', id, 'KILL']);
      assert.equal(k.code, 1);
      assert.equal(errorMsg(k.stderr), 'container not running');
      await sleep(100);
      assert.ok(processLives(stranger.pid!), 'kill did not signal the process that reused the pid');
      assert.equal(stranger.exitCode, null);
      assert.equal(rt.run(['delete', id]).code, 0, 'a stopped container is deleted without --force');
      await sleep(100);
      assert.ok(processLives(stranger.pid!), 'delete did not kill it either');
    } finally {
      stranger.kill('SIGKILL');
    }
    assertNothingLeft(rt, [bundle]);
  });

  describe('--pid-file', () => {
    test("create --pid-file: the init pid, no newline, mode 0644; a relative path is resolved against tsrun's cwd", () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('pidfile');
      const cwd = fs.mkdtempSync(path.join(scratch, 'cwd-'));
      const r = rt.run(['create', '--pid-file', 'sub.pid', '--bundle', bundle, id], { cwd });
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
      const file = path.join(cwd, 'sub.pid');
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /^\d+$/, 'digits only, no trailing newline');
      assert.equal(Number(text), rt.state(id).pid);
      assert.equal(fs.statSync(file).mode & 0o777, 0o644);
      assert.ok(!fs.existsSync(path.join(bundle, 'sub.pid')), 'not written into the bundle');
      assert.equal(rt.run(['delete', id]).code, 0);
    });

    test('run -d --pid-file writes it too', () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('runpid');
      const file = path.join(scratch, `${id}.pid`);
      const r = rt.run(['run', '-d', '--pid-file', file, '--bundle', bundle, id]);
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
      const s = rt.state(id);
      assert.equal(s.status, 'running');
      assert.equal(fs.readFileSync(file, 'utf8'), String(s.pid));
      assert.equal(rt.run(['delete', '--force', id]).code, 0);
    });
  });

  test('invalid ids fail with exit 1 and leave nothing under the root', async () => {
    const fresh = new Runtime();
    try {
      const bundle = makeBundle(['sleep', '30']);
      const cases: [string, string][] = [
        ['../x', 'invalid container ID format'],
        ['a/b', 'invalid container ID format'],
        ['..', 'invalid container ID format'],
        ['.', 'invalid container ID format'],
        ['a b', 'invalid container ID format'],
        ['', 'container id cannot be empty'],
      ];
      const runs: [string[], string][] = [
        ...cases.map(([id, want]): [string[], string] => [['create', '--bundle', bundle, id], want]),
        [['run', '-d', '--bundle', bundle, 'a/b'], 'invalid container ID format'],
        ...['state', 'kill', 'delete'].map((cmd): [string[], string] => [[cmd, '../x'], 'invalid container ID format']),
      ];
      const results = await Promise.all(runs.map(([args]) => runAsync(args, { rt: fresh })));
      results.forEach((r, i) => {
        const [args, want] = runs[i];
        const what = `${args[0]} ${JSON.stringify(args[args.length - 1])}`;
        assert.equal(r.code, 1, what);
        assert.equal(r.stdout, '', what);
        assert.ok(errorMsg(r.stderr).includes(want), `${what}: ${r.stderr}`);
      });
      assert.deepEqual(fs.readdirSync(fresh.root), [], 'nothing under the root');
      assert.ok(!fs.existsSync(path.join(path.dirname(fresh.root), 'x')), 'nothing next to the root');
      fresh.cleanup();
    } finally {
      dispose(fresh);
    }
  });

  describe('duplicate ids', () => {
    test('a second create of an id fails with "already exists" and leaves the first alone', () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('dup');
      assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
      const first = rt.state(id);
      for (const args of [['create', '--bundle', bundle, id], ['run', '-d', '--bundle', bundle, id]]) {
        const r = rt.run(args);
        assert.equal(r.code, 1, args[0]);
        assert.match(errorMsg(r.stderr), /already exists/);
        const now = rt.state(id);
        assert.equal(now.status, 'created');
        assert.equal(now.pid, first.pid);
        assert.equal(now.created, first.created);
        assert.ok(processLives(Number(first.pid)));
      }
      assert.deepEqual(initsUnder(path.join(rt.root, id)), [Number(first.pid)], 'one init for the id');
      assert.equal(rt.run(['delete', id]).code, 0);
    });

    test('4 concurrent creates of one id: exactly one wins, one init exists', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('race');
      const inits = tsrunInits();
      const results = await Promise.all([0, 1, 2, 3].map(() => runAsync(['create', '--bundle', bundle, id])));
      const winners = results.filter((r) => r.code === 0);
      assert.equal(winners.length, 1, `exactly one create succeeds: ${JSON.stringify(results)}`);
      for (const r of results.filter((r) => r.code !== 0)) {
        assert.equal(r.code, 1);
        assert.match(errorMsg(r.stderr), /already exists/);
      }
      const s = rt.state(id);
      assert.equal(s.status, 'created');
      await sleep(100); // a losing create's init, if any, would still be around
      assert.deepEqual(initsUnder(path.join(rt.root, id)), [Number(s.pid)], 'exactly one init process');
      assert.deepEqual(newInits(inits, rt.root, bundle), [Number(s.pid)], 'no other new init');
      assert.equal(rt.run(['delete', id]).code, 0);
      assertNothingLeft(rt, [bundle]);
    });
  });

  // Each case has a root of its own, so the cases can run side by side.
  describe('create and run failures leave nothing behind', { concurrency: 4 }, () => {
    interface FailCase {
      name: string;
      bundle: () => string;
      want: (bundle: string) => (string | RegExp)[];
      /** Fails inside tsrun-init: also checked through `run -d`. */
      inInit?: boolean;
    }
    const withConfig = (text: string) => () => {
      const b = makeBundle(['true']);
      fs.writeFileSync(path.join(b, 'config.json'), text);
      return b;
    };
    const cases: FailCase[] = [
      {
        name: 'missing bundle dir',
        bundle: () => path.join(makeBundle(['true']), 'does-not-exist'),
        want: (b) => [b],
      },
      {
        name: 'bundle without config.json',
        bundle: () => {
          const b = makeBundle(['true']);
          fs.rmSync(path.join(b, 'config.json'));
          return b;
        },
        want: () => ['config.json'],
      },
      {
        name: 'invalid JSON (line and column)',
        bundle: withConfig('{\n  "ociVersion": "1.2.0"\n  "process": {}\n}\n'),
        want: () => [/line 3, column 3/],
      },
      {
        name: 'schema error: process.args []',
        bundle: () => makeBundle([]),
        want: () => ['/process/args'],
      },
      {
        name: 'unsupported field: linux.intelRdt',
        bundle: () => makeBundle(['true'], (c) => (c.linux.intelRdt = { closID: 'guaranteed_group' })),
        want: () => ['/linux/intelRdt'],
      },
      {
        name: 'plan error: hostname without a uts namespace',
        bundle: () => makeBundle(['true'], (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts'))),
        want: () => ['/hostname'],
      },
      {
        name: 'a mount that fails inside init',
        inInit: true,
        bundle: () => makeBundle(['true'], (c) => c.mounts.push({ destination: '/mnt', type: 'nosuchfs', source: 'none' })),
        want: () => ['/mounts/3'],
      },
      {
        name: 'args[0] not in $PATH',
        inInit: true,
        bundle: () => makeBundle(['nope']),
        want: () => ['exec: "nope": executable file not found in $PATH'],
      },
      {
        name: 'args[0] a missing absolute path',
        bundle: () => makeBundle(['/bin/nope']),
        want: () => ['exec: "/bin/nope"', 'no such file or directory'],
      },
      {
        name: 'args[0] not executable',
        bundle: () => makeBundle(['/etc/passwd']),
        want: () => ['exec: "/etc/passwd"', 'permission denied'],
      },
    ];

    for (const c of cases) {
      for (const verb of c.inInit ? ['create', 'run'] : ['create']) {
        test(`${verb}: ${c.name}`, async (t) => {
          const own = new Runtime();
          t.after(() => dispose(own));
          const bundle = c.bundle();
          const id = uniqueId('fail');
          const pidFile = path.join(scratch, `${id}.pid`);
          const inits = tsrunInits();
          const args = verb === 'run' ? ['run', '-d'] : ['create'];
          const r = await runAsync([...args, '--pid-file', pidFile, '--bundle', bundle, id], { rt: own });
          assert.equal(r.code, 1, `exit 1: ${r.stderr}`);
          assert.equal(r.stdout, '');
          const msg = errorMsg(r.stderr);
          for (const w of c.want(bundle)) {
            if (typeof w === 'string') assert.ok(msg.includes(w), `message ${JSON.stringify(msg)} should include ${JSON.stringify(w)}`);
            else assert.match(msg, w);
          }
          assert.ok(!fs.existsSync(path.join(own.root, id)), 'no state dir');
          assert.ok(!fs.existsSync(pidFile), 'no pid file');
          assert.deepEqual(newInits(inits, own.root, bundle), [], 'no tsrun-init left');
          assertNothingLeft(own, [bundle, busyboxRootfs()]);
          own.cleanup();
        });
      }
    }
  });

  describe('exit codes of run', () => {
    test('exit 3 -> 3, with the process stdout and stderr passed through', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      const r = await rt.spawn(['run', '--bundle', bundle, uniqueId('exit3')]).done;
      assert.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
      assertNothingLeft(rt, [bundle]);
    });

    test('SIGKILL from `tsrun kill` -> 137', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; exec sleep 30']);
      const id = uniqueId('exit137');
      const run = await runUntilReady(rt, bundle, id);
      assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
      assert.equal((await run.done).code, 137);
      assertNothingLeft(rt, [bundle]);
    });

    // runc 1.1.5 (checked): the shell is PID 1 of its pid namespace with no
    // TERM handler, so the kernel drops a TERM from the host; the container
    // keeps running, and the later KILL gives 137. (The background job needs
    // /dev/null: one of the default devices.)
    test("SIGTERM to a PID-1 `sh -c 'sleep 30 & wait'`: ignored, as in runc; then KILL -> 137", async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; sleep 30 & wait']);
      const id = uniqueId('term1');
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      try {
        let out = '';
        run.child.stdout!.on('data', (d) => (out += d));
        await until('the shell is ready', () => out.includes('ready\n'));
        await sleep(200);
        assert.equal(rt.run(['kill', id, 'TERM']).code, 0);
        await sleep(500);
        assert.equal(rt.state(id).status, 'running', 'TERM was ignored');
        assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
        assert.equal((await run.done).code, 137);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) rt.run(['delete', '--force', id]);
        await run.done;
      }
      assertNothingLeft(rt, [bundle]);
    });

    test('without a pid namespace, SIGTERM kills `sleep 30` -> 143, as in runc', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; exec sleep 30'], (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid')));
      const id = uniqueId('exit143');
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      try {
        let out = '';
        run.child.stdout!.on('data', (d) => (out += d));
        await until('sleep runs', () => out.includes('ready\n'));
        assert.equal(rt.run(['kill', id, 'TERM']).code, 0);
        assert.equal((await run.done).code, 143);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) rt.run(['delete', '--force', id]);
        await run.done;
      }
      assertNothingLeft(rt, [bundle]);
    });
  });

  describe('kill', () => {
    test('KILL, SIGKILL, 9 and kill all deliver SIGKILL (run exits 137)', async () => {
      const bundle = makeBundle(['sh', '-c', 'echo ready; exec sleep 30']);
      const spellings = ['KILL', 'SIGKILL', '9', 'kill'];
      const runs = await Promise.all(spellings.map(async (sig) => {
        const id = uniqueId('killsp');
        return { sig, id, run: await runUntilReady(rt, bundle, id) };
      }));
      const kills = await Promise.all(runs.map((r) => runAsync(['kill', r.id, r.sig])));
      kills.forEach((k, i) => assert.deepEqual(k, { code: 0, stdout: '', stderr: '' }, runs[i].sig));
      for (const r of runs) assert.equal((await r.run.done).code, 137, r.sig);
      assertNothingLeft(rt, [bundle]);
    });

    test('TERM, SIGTERM, 15 and no signal deliver SIGTERM (a trap sees each); the last trap exits 9', async () => {
      // Each TERM prints "term N"; the fourth exits 9. "ready" comes after the trap is set.
      const script = "n=0; trap 'n=$((n+1)); echo term $n; [ $n = 4 ] && exit 9' TERM; echo ready; while :; do sleep 0.05; done";
      const bundle = makeBundle(['sh', '-c', script]);
      const id = uniqueId('termsp');
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      let out = '';
      run.child.stdout!.on('data', (d) => (out += d));
      try {
        await until('the shell is ready', () => out.includes('ready\n'));
        const spellings = [['TERM'], ['SIGTERM'], ['15'], []];
        for (const [i, sig] of spellings.entries()) {
          const k = rt.run(['kill', id, ...sig]);
          assert.deepEqual(k, { code: 0, stdout: '', stderr: '' }, sig.join() || '(none)');
          await until(`the trap saw ${sig.join() || '(none)'}`, () => out.includes(`term ${i + 1}\n`));
        }
        assert.equal((await run.done).code, 9);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) rt.run(['delete', '--force', id]);
        await run.done;
      }
      assertNothingLeft(rt, [bundle]);
    });

    test('signal 0 exits 0 and does nothing; FOO is an unknown signal', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('sig0');
      const pidFile = path.join(scratch, `${id}.pid`);
      assert.equal(rt.run(['run', '-d', '--pid-file', pidFile, '--bundle', bundle, id]).code, 0);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.deepEqual(rt.run(['kill', id, '0']), { code: 0, stdout: '', stderr: '' });
      await sleep(100);
      assert.ok(processLives(pid));
      const bads = ['FOO', 'SIGFOO'];
      (await Promise.all(bads.map((bad) => runAsync(['kill', id, bad])))).forEach((r, i) => {
        assert.equal(r.code, 1, bads[i]);
        assert.equal(errorMsg(r.stderr), `unknown signal "${bads[i]}"`);
      });
      assert.equal(rt.state(id).status, 'running');
      assert.equal(rt.run(['delete', '--force', id]).code, 0);
    });

    test('KILL of a created container stops it; kill of a stopped one: "container not running"', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('killcreated');
      const pidFile = path.join(scratch, `${id}.pid`);
      assert.equal(rt.run(['create', '--pid-file', pidFile, '--bundle', bundle, id]).code, 0);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
      await waitStopped(rt, id, pid);
      const r = rt.run(['kill', id, 'KILL']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(errorMsg(r.stderr), 'container not running');
      assert.equal(rt.run(['delete', id]).code, 0);
    });

    // containerd kills a created task with SIGTERM first: runc's init (Go) dies of it.
    test('TERM of a created container stops it (runc: created + TERM -> stopped)', async () => {
      const bundle = makeBundle(['sleep', '30']);
      const id = uniqueId('termcreated');
      assert.equal(rt.run(['create', '--pid-file', path.join(scratch, `${id}.pid`), '--bundle', bundle, id]).code, 0);
      const pid = Number(fs.readFileSync(path.join(scratch, `${id}.pid`), 'utf8'));
      try {
        assert.equal(rt.run(['kill', id, 'TERM']).code, 0);
        await until('the init dies of the TERM', () => !processLives(pid), 2_000);
        assert.equal(rt.state(id).status, 'stopped');
      } finally {
        assert.equal(rt.run(['delete', '--force', id]).code, 0);
      }
    });
  });

  describe('--log and --log-format', () => {
    test('--log FILE --log-format json: one {level,msg,time} line in FILE, the bare message on stderr', () => {
      const file = path.join(scratch, `${uniqueId('log')}.json`);
      const r = rt.run(['--log', file, '--log-format', 'json', 'state', uniqueId('nosuch')]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'container does not exist\n');
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.endsWith('\n'));
      const lines = text.trimEnd().split('\n');
      assert.equal(lines.length, 1);
      const obj = JSON.parse(lines[0]);
      assert.deepEqual(Object.keys(obj), ['level', 'msg', 'time']);
      assert.equal(obj.level, 'error');
      assert.equal(obj.msg, 'container does not exist');
      assert.match(obj.time, RFC3339);
      assert.ok(!Number.isNaN(Date.parse(obj.time)));
      assert.ok(Math.abs(Date.parse(obj.time) - Date.now()) < 60_000, 'time is now');
      assert.equal(lines[0], JSON.stringify({ level: 'error', msg: 'container does not exist', time: obj.time }), 'compact');
    });

    test('--log is appended to; a failing create logs its message with quotes escaped', () => {
      const file = path.join(scratch, `${uniqueId('log')}.json`);
      const bundle = makeBundle(['/bin/nope']);
      const ok = rt.run(['--log', file, '--log-format', 'json', 'list']);
      assert.equal(ok.code, 0);
      assert.equal(fs.readFileSync(file, 'utf8'), '', 'a successful command logs nothing, but the file is made');
      rt.run(['--log', file, '--log-format', 'json', 'state', uniqueId('nosuch')]);
      const id = uniqueId('lognope');
      const r = rt.run(['--log', file, '--log-format', 'json', 'create', '--bundle', bundle, id]);
      assert.equal(r.code, 1);
      const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 2, 'appended');
      assert.ok(lines[1].includes(String.raw`exec: \"/bin/nope\"`), lines[1]);
      const msg = JSON.parse(lines[1]).msg as string;
      assert.ok(msg.includes('exec: "/bin/nope"') && msg.includes('no such file or directory'), msg);
      assert.equal(r.stderr, msg + '\n', 'stderr has the bare message');
      assertNothingLeft(rt, [bundle]);
    });

    test('--log-format text writes time="..." level=error msg="..."', () => {
      const file = path.join(scratch, `${uniqueId('log')}.txt`);
      const r = rt.run(['--log', file, '--log-format', 'text', 'state', uniqueId('nosuch')]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'container does not exist\n');
      const m = /^time="([^"]+)" level=error msg="container does not exist"\n$/.exec(fs.readFileSync(file, 'utf8'));
      assert.ok(m, 'one logrus text line');
      assert.match(m[1], RFC3339);
    });

    test('without --log, stderr gets the formatted line (text, or json with --log-format json)', () => {
      const text = rt.run(['state', uniqueId('nosuch')]);
      assert.equal(text.code, 1);
      const m = /^time="([^"]+)" level=error msg="container does not exist"\n$/.exec(text.stderr);
      assert.ok(m, text.stderr);
      assert.match(m[1], RFC3339);
      const json = rt.run(['--log-format', 'json', 'state', uniqueId('nosuch')]);
      assert.equal(json.code, 1);
      assert.ok(json.stderr.endsWith('\n') && json.stderr.trimEnd().split('\n').length === 1, json.stderr);
      const obj = JSON.parse(json.stderr);
      assert.deepEqual(Object.keys(obj), ['level', 'msg', 'time']);
      assert.equal(obj.msg, 'container does not exist');
      assert.match(obj.time, RFC3339);
    });
  });

  describe('list', () => {
    test('an empty root: header only; json null; -q nothing', () => {
      const fresh = new Runtime();
      try {
        assert.deepEqual(fresh.run(['list']), { code: 0, stdout: 'ID          PID         STATUS      BUNDLE      CREATED     OWNER\n', stderr: '' });
        assert.deepEqual(fresh.run(['list', '--format', 'json']), { code: 0, stdout: 'null\n', stderr: '' });
        assert.deepEqual(fresh.run(['list', '-q']), { code: 0, stdout: '', stderr: '' });
        // A --root that does not exist lists as empty too.
        const missing = path.join(fresh.root, 'not-yet');
        const r = spawnSync(fresh.bin, ['--root', missing, 'list', '-f', 'json'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'null\n');
        fs.rmSync(missing, { recursive: true, force: true });
        fresh.cleanup();
      } finally {
        dispose(fresh);
      }
    });

    test('rows sorted by id, with their statuses, in table, json and -q', async () => {
      const fresh = new Runtime();
      try {
        const sleeper = makeBundle(['sleep', '30']);
        const quick = makeBundle(['true']);
        const tag = `${process.pid}`;
        const ids = { created: `zz-created-${tag}`, running: `mm-running-${tag}`, stopped: `aa-stopped-${tag}` };
        const pidOf = (id: string) => Number(fs.readFileSync(path.join(scratch, `${id}.pid`), 'utf8'));
        assert.equal(fresh.run(['create', '--pid-file', path.join(scratch, `${ids.created}.pid`), '--bundle', sleeper, ids.created]).code, 0);
        assert.equal(fresh.run(['run', '-d', '--pid-file', path.join(scratch, `${ids.running}.pid`), '--bundle', sleeper, ids.running]).code, 0);
        const quickPid = path.join(scratch, `${ids.stopped}.pid`);
        assert.equal(fresh.run(['run', '-d', '--pid-file', quickPid, '--bundle', quick, ids.stopped]).code, 0);
        await until('the quick container has exited', () => !processLives(Number(fs.readFileSync(quickPid, 'utf8'))));
        const expect = [
          { id: ids.stopped, status: 'stopped', pid: 0, bundle: quick },
          { id: ids.running, status: 'running', pid: pidOf(ids.running), bundle: sleeper },
          { id: ids.created, status: 'created', pid: pidOf(ids.created), bundle: sleeper },
        ];

        const table = fresh.run(['list']);
        assert.equal(table.code, 0);
        const lines = table.stdout.split('\n');
        assert.equal(lines.pop(), '', 'each line ends in a newline');
        assert.equal(lines.length, 4);
        assert.deepEqual(lines[0].split(/\s+/), ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']);
        lines.slice(1).forEach((line, i) => {
          const [id, pid, status, bundle, created, owner, ...rest] = line.split(/\s+/);
          assert.deepEqual([id, Number(pid), status, bundle, owner, rest], [expect[i].id, expect[i].pid, expect[i].status, expect[i].bundle, 'root', []]);
          assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
          // Columns line up under the header.
          for (const col of ['PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']) {
            const at = lines[0].indexOf(col);
            assert.notEqual(line[at - 1], undefined);
            assert.ok(line[at - 1] === ' ' && line[at] !== ' ', `column ${col} aligned in ${JSON.stringify(line)}`);
          }
        });

        const json = fresh.run(['list', '--format', 'json']);
        assert.equal(json.code, 0);
        assert.ok(json.stdout.endsWith('\n') && !json.stdout.trimEnd().includes('\n'), 'one line');
        const arr = JSON.parse(json.stdout) as Record<string, unknown>[];
        assert.equal(json.stdout, JSON.stringify(arr) + '\n', 'compact');
        assert.equal(arr.length, 3);
        arr.forEach((s, i) => {
          assert.deepEqual(Object.keys(s), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
          assert.deepEqual([s.id, s.pid, s.status, s.bundle, s.rootfs, s.owner], [expect[i].id, expect[i].pid, expect[i].status, expect[i].bundle, busyboxRootfs(), 'root']);
        });

        assert.deepEqual(fresh.run(['list', '-q']), { code: 0, stdout: expect.map((e) => e.id + '\n').join(''), stderr: '' });
        fresh.cleanup();
      } finally {
        dispose(fresh);
      }
    });
  });

  test('state prints no trailing newline', () => {
    const bundle = makeBundle(['sleep', '30']);
    const id = uniqueId('nl');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const r = rt.run(['state', id]);
    assert.equal(r.code, 0);
    assert.ok(r.stdout.endsWith('\n}'), `ends in "\\n}": ${JSON.stringify(r.stdout.slice(-5))}`);
    assert.ok(r.stdout.startsWith('{\n  "ociVersion": '), 'two-space indent');
    assert.equal(r.stdout, JSON.stringify(JSON.parse(r.stdout), null, 2));
    assert.equal(rt.run(['delete', id]).code, 0);
  });
});
