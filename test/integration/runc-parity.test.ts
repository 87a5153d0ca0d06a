// runc parity: the same scenarios run under runc and tsrun in one test, and
// what engines look at compared: exit codes, the container's stdout, state
// and list JSON key order and status, and the error substrings engines search
// for (not whole messages: tsrun adds config paths). Covers run's exit code
// and output, /dev's default devices, state at each lifecycle point, kill of
// a stopped container, state, kill and delete of one whose init was killed
// from outside (kill -9), delete of a running one, delete --force of a missing
// one, start twice, list --format json, a bad args[0] three ways, the pid
// file, the TERM rules for created and PID-1 processes, and a hook asking
// `state` of the container being created, and an undefined flag. Skipped when runc
// is not installed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { assertNothingLeft, busyboxRootfs, hasRunc, makeBundle, processLives, Runtime, skipUnlessRoot, sleep, uniqueId, type Result } from './harness.js';

const skip = skipUnlessRoot || (hasRunc ? false : 'runc is not installed: nothing to compare tsrun with');

/** bin as an absolute path, looked up on PATH when it has no slash (hooks run with no PATH of ours). */
function onPath(bin: string): string {
  if (bin.includes('/')) return bin;
  const dir = (process.env.PATH ?? '').split(':').find((d) => fs.existsSync(path.join(d, bin)));
  assert.ok(dir, `${bin} is not on PATH`);
  return path.join(dir, bin);
}

/** The message of the last error line on stderr (logrus text format), unquoted. */
function errorMsg(stderr: string): string {
  const line = stderr.trimEnd().split('\n').pop() ?? '';
  const m = /level=error msg=("(?:[^"\\]|\\.)*"|\S*)$/.exec(line);
  if (!m) return line;
  return m[1].startsWith('"') ? JSON.parse(m[1]) : m[1];
}

/** Which of the substrings the error message contains: what an engine's strings.Contains sees. */
function found(r: Result, substrings: string[]): string[] {
  const msg = errorMsg(r.stderr);
  return substrings.filter((s) => msg.includes(s));
}

/** The JSON keys in document order, recursively for nested objects. */
function keyOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keyOrder);
  if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => (x && typeof x === 'object' ? { [k]: keyOrder(x) } : k));
  return v;
}

async function waitStatusOrEnd(rt: Runtime, id: string, status: string, run?: { done: Promise<Result> }): Promise<void> {
  let ended: Result | undefined;
  void run?.done.then((r) => (ended = r));
  const end = Date.now() + 10_000;
  for (;;) {
    const r = rt.run(['state', id]);
    if (r.code === 0 && JSON.parse(r.stdout).status === status) return;
    if (ended) assert.fail(`${rt.bin}: run of ${id} ended (rc ${ended.code}) before it was ${status}: ${ended.stderr}`);
    if (Date.now() > end) assert.fail(`${rt.bin}: ${id} never became ${status}`);
    await sleep(20);
  }
}

/** The cgroup directories of a live process, one per mounted hierarchy it is in (from /proc/<pid>/cgroup). */
function cgroupDirsOf(pid: number): string[] {
  const layout = hostLayout();
  const dirs: string[] = [];
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, cgPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (cgPath === undefined) continue;
    const mount = controllers === '' ? layout.unified : layout.v1.find((h) => h.controllers.join() === controllers)?.mount;
    if (mount) dirs.push(path.join(mount, cgPath));
  }
  return dirs;
}

describe('runc parity', { skip }, () => {
  const runtimes = skip ? [] : [new Runtime('runc', 'runc-test-root-'), new Runtime()];
  const scratch = skip ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-parity-scratch-'));
  after(() => {
    for (const rt of runtimes) rt.cleanup();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs the scenario under runc, then tsrun, and compares what each returned. */
  async function compare<T>(scenario: (rt: Runtime, name: string) => T | Promise<T>, bundles: string[] = []): Promise<T> {
    const [runc, tsrun] = runtimes;
    // Distinct ids: runc names its cgroup after the id.
    const want = await scenario(runc, 'runc');
    const got = await scenario(tsrun, 'tsrun');
    assert.deepEqual(got, want, 'tsrun (actual) differs from runc (expected)');
    for (const rt of runtimes) assertNothingLeft(rt, bundles);
    return want;
  }

  test('run: `exit 3` gives 3, with the same stdout and stderr', async () => {
    const bundle = makeBundle(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    const seen = await compare((rt, name) => {
      const id = uniqueId(`exit3-${name}`);
      const r = rt.run(['run', '--bundle', bundle, id]);
      const after = rt.run(['state', id]);
      return { code: r.code, stdout: r.stdout, stderr: r.stderr, removed: found(after, ['container does not exist']) };
    }, [bundle]);
    assert.deepEqual(seen, { code: 3, stdout: 'out\n', stderr: 'err\n', removed: ['container does not exist'] });
  });

  test('run: hostname and pid 1', async () => {
    const bundle = makeBundle(['sh', '-c', 'hostname; echo $$']);
    const seen = await compare((rt, name) => {
      const r = rt.run(['run', '--bundle', bundle, uniqueId(`hello-${name}`)]);
      return { code: r.code, stdout: r.stdout };
    }, [bundle]);
    assert.deepEqual(seen, { code: 0, stdout: 'tsrun-test\n1\n' });
  });

  test('run: the default devices and /dev links (with a devpts mount)', async () => {
    const bundle = makeBundle(['sh', '-c', 'ls -l /dev /dev/pts; echo x > /dev/null && echo wrote'], (c) =>
      c.mounts.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] }),
    );
    const seen = await compare((rt, name) => {
      const r = rt.run(['run', '--bundle', bundle, uniqueId(`dev-${name}`)]);
      // Drop the dates: "Nov 23 11:26" or "Nov 23  2025".
      return { code: r.code, stdout: r.stdout.replace(/ +[A-Z][a-z]{2} +\d+ +(?:\d\d:\d\d|\d{4}) /g, ' <date> ').replace(/ +/g, ' ') };
    }, [bundle]);
    for (const dev of ['full', 'null', 'random', 'tty', 'urandom', 'zero', 'ptmx -> pts/ptmx', 'fd -> /proc/self/fd']) {
      assert.match(seen.stdout, new RegExp(` ${dev}\n`), dev);
    }
    assert.ok(seen.stdout.endsWith('wrote\n'));
  });

  test('run: KILL from `kill` gives 137', async () => {
    const bundle = makeBundle(['sleep', '30']);
    await compare(async (rt, name) => {
      const id = uniqueId(`k137-${name}`);
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      await waitStatusOrEnd(rt, id, 'running', run);
      const k = rt.run(['kill', id, 'KILL']);
      const r = await run.done;
      return { kill: k.code, code: r.code };
    }, [bundle]);
  });

  test('state: key order, status and pid when created, running and stopped', async () => {
    const bundle = makeBundle(['sleep', '30'], (c) => (c.annotations = { 'org.example.b': '2', a: '1' }));
    const seen = await compare(async (rt, name) => {
      const id = uniqueId(`state-${name}`);
      const snap = () => {
        const r = rt.run(['state', id]);
        assert.equal(r.code, 0, r.stderr);
        const s = JSON.parse(r.stdout);
        // Values that differ by nature (pid, times, paths, runc's own spec version) are not compared.
        return {
          keys: keyOrder(s),
          status: s.status,
          pid: s.pid === 0 ? 0 : s.pid > 0 ? 'positive' : s.pid,
          id: s.id === id,
          owner: s.owner,
          annotations: s.annotations,
          trailingNewline: r.stdout.endsWith('\n'),
        };
      };
      assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
      const created = snap();
      assert.equal(rt.run(['start', id]).code, 0);
      const running = snap();
      assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
      await waitStatusOrEnd(rt, id, 'stopped');
      const stopped = snap();
      assert.equal(rt.run(['delete', id]).code, 0);
      return { created, running, stopped };
    }, [bundle]);
    assert.deepEqual(seen.created.keys, ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', { annotations: ['a', 'org.example.b'] }, 'owner']);
    assert.deepEqual([seen.created.status, seen.running.status, seen.stopped.status], ['created', 'running', 'stopped']);
  });

  test('state without annotations: no annotations key', async () => {
    const bundle = makeBundle(['sleep', '30']);
    await compare((rt, name) => {
      const id = uniqueId(`state-plain-${name}`);
      assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
      const keys = keyOrder(JSON.parse(rt.run(['state', id]).stdout));
      assert.equal(rt.run(['delete', id]).code, 0);
      return keys;
    }, [bundle]);
  });

  test('kill of a stopped container: exit 1, "container not running"', async () => {
    const bundle = makeBundle(['true']);
    await compare(async (rt, name) => {
      const id = uniqueId(`killstopped-${name}`);
      assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
      await waitStatusOrEnd(rt, id, 'stopped');
      const out = ['KILL', 'TERM'].map((sig) => {
        const r = rt.run(['kill', id, sig]);
        return { code: r.code, stdout: r.stdout, found: found(r, ['container not running']) };
      });
      assert.equal(rt.run(['delete', id]).code, 0);
      return out;
    }, [bundle]);
  });

  // An init killed by someone else (an OOM kill, an admin's kill -9) leaves the
  // container stopped with its state, cgroup and fifo still there: state says
  // so, kill refuses, and delete (no --force needed) removes all of it.
  for (const from of ['created', 'running'] as const) {
    test(`init killed from outside (kill -9) while ${from}: state "stopped", kill "container not running", delete 0 leaving nothing`, async () => {
      const bundle = makeBundle(['sleep', '30']);
      const seen = await compare(async (rt, name) => {
        const id = uniqueId(`extkill-${name}`);
        assert.equal(rt.run(from === 'created' ? ['create', '--bundle', bundle, id] : ['run', '-d', '--bundle', bundle, id]).code, 0);
        const pid = Number(rt.state(id).pid);
        const cgroups = cgroupDirsOf(pid);
        const cgroupsBefore = cgroups.length > 0 && cgroups.every((d) => fs.existsSync(d));
        process.kill(pid, 'SIGKILL');
        for (const end = Date.now() + 10_000; processLives(pid); await sleep(10)) {
          if (Date.now() > end) assert.fail(`${rt.bin}: init ${pid} of ${id} outlived SIGKILL`);
        }
        const st = rt.run(['state', id]);
        const s = JSON.parse(st.stdout);
        const kills = [['kill', id], ['kill', id, 'KILL'], ['kill', '--all', id, 'KILL']].map((args) => {
          const r = rt.run(args);
          return { args: args.filter((a) => a !== id).join(' '), code: r.code, stdout: r.stdout, found: found(r, ['container not running']) };
        });
        const del = rt.run(['delete', id]);
        return {
          state: { code: st.code, stderr: st.stderr, keys: keyOrder(s), status: s.status, pid: s.pid },
          kills,
          delete: { code: del.code, stdout: del.stdout, stderr: del.stderr },
          after: {
            state: found(rt.run(['state', id]), ['container does not exist']),
            list: rt.run(['list', '-q']).stdout,
            deleteAgain: found(rt.run(['delete', id]), ['container does not exist']),
            cgroupsBefore,
            cgroupsLeft: cgroups.filter((d) => fs.existsSync(d)).length,
          },
        };
      }, [bundle, busyboxRootfs()]);
      assert.deepEqual([seen.state.code, seen.state.status, seen.state.pid], [0, 'stopped', 0]);
      assert.deepEqual(seen.kills.map((k) => [k.code, k.found.length]), [[1, 1], [1, 1], [0, 0]]);
      assert.deepEqual(seen.delete, { code: 0, stdout: '', stderr: '' });
      assert.deepEqual(seen.after, { state: ['container does not exist'], list: '', deleteAgain: ['container does not exist'], cgroupsBefore: true, cgroupsLeft: 0 });
    });
  }

  test('delete of a running container without --force: exit 1, "... that is not stopped: running"', async () => {
    const bundle = makeBundle(['sleep', '30']);
    await compare((rt, name) => {
      const id = uniqueId(`delrunning-${name}`);
      assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
      const r = rt.run(['delete', id]);
      const status = JSON.parse(rt.run(['state', id]).stdout).status;
      const forced = rt.run(['delete', '--force', id]);
      return {
        code: r.code,
        found: found(r, [`cannot delete container ${id} that is not stopped: running`, 'not stopped']).map((s) => s.replace(id, '<id>')),
        statusAfter: status,
        forced: forced.code,
      };
    }, [bundle]);
  });

  test('an undefined flag, one dash or two, global or a command\'s, or grouped short flags: exit 1, "flag provided but not defined: -x"', async () => {
    await compare((rt, name) => {
      const id = uniqueId(`flag-${name}`);
      return [['state', '-x', id], ['exec', '-dt', id, 'sh'], ['--bogus', 'list'], ['kill', '-bogus', id], ['delete', '--bogus=1', id]].map((args) => {
        const r = rt.run(args);
        return { args: args.join(' ').replace(id, 'ID'), code: r.code, msg: errorMsg(r.stderr) };
      });
    });
  });

  test('commands on a missing id: delete --force 0; others 1, "container does not exist"', async () => {
    await compare((rt, name) => {
      const id = uniqueId(`missing-${name}`);
      return [['delete', '--force'], ['delete'], ['state'], ['start'], ['kill'], ['kill', '-', 'KILL']].map((cmd) => {
        const args = cmd.includes('-') ? cmd.map((a) => (a === '-' ? id : a)) : [...cmd, id];
        const r = rt.run(args);
        return { cmd: cmd.join(' '), code: r.code, stdout: r.stdout, stderrEmpty: r.stderr === '', found: found(r, ['container does not exist']) };
      });
    });
  });

  test('a createRuntime hook asking `state` of its own container: "container does not exist" at once, and create goes on', async () => {
    await compare((rt, name) => {
      const id = uniqueId(`hookstate-${name}`);
      const out = path.join(scratch, `${id}.out`);
      // The hook is bounded (timeout), so a runtime that waits on its own create fails here instead of hanging.
      const bundle = makeBundle(['true'], (c) => {
        c.hooks = {
          createRuntime: [{
            path: '/bin/sh',
            args: ['sh', '-c', `"$0" --root "$1" state "$2" > "$3" 2>&1; echo "rc=$?" >> "$3"`, onPath(rt.bin), rt.root, id, out],
            timeout: 10,
          }],
        };
      });
      const started = Date.now();
      const create = rt.run(['create', '--bundle', bundle, id]);
      const took = Date.now() - started;
      const hook = fs.readFileSync(out, 'utf8');
      rt.run(['delete', '--force', id]);
      return { create: create.code, quick: took < 5000, hookRc: /rc=(\d+)/.exec(hook)?.[1], found: found({ code: 1, stdout: '', stderr: hook.replace(/\nrc=\d+\n$/, '') }, ['container does not exist']) };
    });
  });

  test('start twice, and start after stop', async () => {
    const bundle = makeBundle(['sleep', '30']);
    await compare(async (rt, name) => {
      const id = uniqueId(`start2-${name}`);
      assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
      const first = rt.run(['start', id]);
      const second = rt.run(['start', id]);
      rt.run(['kill', id, 'KILL']);
      await waitStatusOrEnd(rt, id, 'stopped');
      const third = rt.run(['start', id]);
      assert.equal(rt.run(['delete', id]).code, 0);
      return {
        first: [first.code, first.stdout, first.stderr],
        second: [second.code, found(second, ['cannot start an already running container'])],
        third: [third.code, found(third, ['cannot start a container that has stopped'])],
      };
    }, [bundle]);
  });

  test('list --format json: key order, owner, null when empty; -q', async () => {
    const bundle = makeBundle(['sleep', '30'], (c) => (c.annotations = { z: '1', a: '2' }));
    const plain = makeBundle(['sleep', '30']);
    await compare((rt, name) => {
      const empty = rt.run(['list', '--format', 'json']);
      const ids = [uniqueId(`list-b-${name}`), uniqueId(`list-a-${name}`)];
      assert.equal(rt.run(['create', '--bundle', bundle, ids[0]]).code, 0);
      assert.equal(rt.run(['create', '--bundle', plain, ids[1]]).code, 0);
      const r = rt.run(['list', '--format', 'json']);
      const q = rt.run(['list', '-q']);
      const list = JSON.parse(r.stdout) as Record<string, unknown>[];
      for (const id of ids) assert.equal(rt.run(['delete', id]).code, 0);
      return {
        empty: [empty.code, empty.stdout],
        code: r.code,
        oneLine: r.stdout.endsWith('\n') && !r.stdout.trimEnd().includes('\n'),
        compact: r.stdout === JSON.stringify(list) + '\n',
        keys: keyOrder(list),
        ids: list.map((s) => ids.indexOf(String(s.id))),
        status: list.map((s) => s.status),
        owner: list.map((s) => s.owner),
        quiet: q.stdout.split('\n').map((l) => (l ? ids.indexOf(l) : l)),
      };
    }, [bundle, plain]);
  });

  for (const [args0, substrings] of [
    ['nope', ['exec: "nope": executable file not found in $PATH']],
    ['/bin/nope', ['exec: "/bin/nope"', 'stat /bin/nope: no such file or directory']],
    ['/etc/passwd', ['exec: "/etc/passwd": permission denied']],
  ] as const) {
    test(`bad args[0] ${args0}: create and run fail with exit 1 and the same text, leaving nothing`, async () => {
      const bundle = makeBundle([args0]);
      await compare((rt, name) =>
        ['create', 'run'].map((verb) => {
          const id = uniqueId(`bad-${name}`);
          const pidFile = path.join(scratch, `${id}.pid`);
          const r = rt.run([verb, '--pid-file', pidFile, '--bundle', bundle, id]);
          const after = rt.run(['state', id]);
          return {
            verb,
            code: r.code,
            stdout: r.stdout,
            found: found(r, [...substrings]),
            gone: found(after, ['container does not exist']),
            pidFile: fs.existsSync(pidFile),
            list: rt.run(['list', '-q']).stdout,
          };
        }),
      [bundle]);
    });
  }

  test('--pid-file: the init pid, no newline, mode 0644, relative to the cwd', async () => {
    const bundle = makeBundle(['sleep', '30']);
    await compare((rt, name) => {
      const id = uniqueId(`pid-${name}`);
      const cwd = fs.mkdtempSync(path.join(scratch, `${name}-cwd-`));
      const r = rt.run(['create', '--pid-file', 'init.pid', '--bundle', bundle, id], { cwd });
      const file = path.join(cwd, 'init.pid');
      const text = fs.readFileSync(file, 'utf8');
      const out = {
        code: r.code,
        format: /^\d+$/.test(text),
        equalsState: Number(text) === rt.state(id).pid,
        mode: (fs.statSync(file).mode & 0o777).toString(8),
      };
      assert.equal(rt.run(['delete', id]).code, 0);
      return out;
    }, [bundle]);
  });

  test('kill TERM of a created container: it becomes stopped', async () => {
    const bundle = makeBundle(['sleep', '30']);
    await compare(async (rt, name) => {
      const id = uniqueId(`termcreated-${name}`);
      assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
      const k = rt.run(['kill', id, 'TERM']);
      await sleep(500);
      const status = JSON.parse(rt.run(['state', id]).stdout).status;
      assert.equal(rt.run(['delete', '--force', id]).code, 0);
      return { kill: k.code, status };
    }, [bundle]);
  });

  // PID 1 of a pid namespace gets no signal it has no handler for. (The
  // background job needs /dev/null, a default device.)
  test("TERM to a PID-1 `sh -c 'sleep 30 & wait'` is ignored; a later KILL gives 137", async () => {
    const bundle = makeBundle(['sh', '-c', 'sleep 30 & wait']);
    await compare(async (rt, name) => {
      const id = uniqueId(`term1-${name}`);
      const run = rt.spawn(['run', '--bundle', bundle, id]);
      try {
        await waitStatusOrEnd(rt, id, 'running', run);
        await sleep(200);
        const term = rt.run(['kill', id, 'TERM']).code;
        await sleep(500);
        const status = JSON.parse(rt.run(['state', id]).stdout).status;
        const kill = rt.run(['kill', id, 'KILL']).code;
        return { term, status, kill, code: (await run.done).code };
      } finally {
        rt.run(['delete', '--force', id]);
        await run.done;
      }
    }, [bundle]);
  });
});
