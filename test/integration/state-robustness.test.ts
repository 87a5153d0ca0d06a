// Robustness of the state store and of the waits around it (issue 12, items
// 5, 10, 14 and 15): a damaged state.json (list goes on, every command names
// the file, delete -f still kills the init and removes its cgroup); no command
// holds the container lock while it waits on the container (exec into a paused
// container, start during a startContainer hook); messages for a too long id,
// a --root that is a file, --preserve-fds past the fd limit, a full --root;
// and the launcher's open-file limit check. Side by side with runc where runc
// has a behaviour. Every test checks that nothing is left.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import {
  assertNothingLeft, makeBundle, processLives, Runtime, runToFiles, sideBySide, skipUnlessRoot, sleep, tsrunBin, uniqueId, type Result,
} from './harness.js';

/** The container's cgroup directories, from the record create wrote. */
function cgroupDirs(rt: Runtime, id: string): string[] {
  const rec = JSON.parse(fs.readFileSync(path.join(rt.root, id, 'cgroup.json'), 'utf8'));
  return [...rec.v1.map((h: { dir: string }) => h.dir), ...(rec.unified ? [rec.unified.dir] : [])];
}

/** Every directory the cgroup path would have on this host, whether or not it exists. */
function possibleCgroupDirs(cgPath: string): string[] {
  const layout = hostLayout();
  return [...layout.v1.map((h) => path.join(h.mount, cgPath)), ...(layout.unified ? [path.join(layout.unified, cgPath)] : [])];
}

/** Pids of processes whose command line contains marker. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker) && processLives(Number(p))) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pids of tsrun-init processes holding an fd under dir. */
function initsUnder(dir: string): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => {
    try {
      if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'tsrun-init') return false;
      return fs.readdirSync(`/proc/${p}/fd`).some((fd) => {
        try {
          return fs.readlinkSync(`/proc/${p}/fd/${fd}`).startsWith(dir);
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

/** Resolves with the result, or with undefined once ms have passed. */
function within(ms: number, done: Promise<Result>): Promise<Result | undefined> {
  return Promise.race([done, sleep(ms).then(() => undefined)]);
}

function timed(fn: () => Result): { r: Result; ms: number } {
  const t0 = Date.now();
  const r = fn();
  return { r, ms: Date.now() - t0 };
}

describe('a damaged state.json', { skip: skipUnlessRoot }, () => {
  const s = sideBySide();
  after(() => s.cleanup());

  test('list warns, naming the container and the file, and lists the others (runc: "load container X: unexpected EOF")', () => {
    const bundle = makeBundle(['sleep', '1000']);
    for (const rt of [s.rt, s.runc].filter((r): r is Runtime => r !== undefined)) {
      const [bad, good] = [uniqueId('bad'), uniqueId('good')];
      for (const id of [bad, good]) assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0, `${rt.bin} run ${id}`);
      const file = path.join(rt.root, bad, 'state.json');
      const whole = fs.readFileSync(file);
      fs.writeFileSync(file, whole.subarray(0, 100));
      const list = rt.run(['list', '--format', 'json']);
      assert.equal(list.code, 0, `${rt.bin} list: ${list.stderr}`);
      assert.deepEqual(JSON.parse(list.stdout).map((c: { id: string }) => c.id), [good], rt.bin);
      assert.match(list.stderr, new RegExp(`load container ${bad}`), rt.bin);
      if (rt === s.rt) assert.ok(list.stderr.includes(file), `tsrun's warning names the file: ${list.stderr}`);
      // runc cannot delete it (nor kill its init): give it its state back.
      if (rt === s.runc) fs.writeFileSync(file, whole);
      for (const id of [bad, good]) assert.equal(rt.run(['delete', '-f', id]).code, 0, `${rt.bin} delete -f ${id}`);
    }
  });

  test('with {} as the state, every command names the file and suggests delete -f; delete -f kills the init and removes its cgroup', () => {
    const rt = s.rt;
    const id = uniqueId('empty');
    assert.equal(rt.run(['run', '-d', '--bundle', makeBundle(['sleep', '1000']), id]).code, 0);
    const pid = Number(rt.state(id).pid);
    const dirs = cgroupDirs(rt, id);
    assert.ok(dirs.length && dirs.every((d) => fs.existsSync(d)));
    const file = path.join(rt.root, id, 'state.json');
    fs.writeFileSync(file, '{}');
    for (const args of [['state', id], ['delete', id], ['start', id], ['kill', id], ['exec', id, 'true'], ['pause', id], ['ps', id]]) {
      const r = rt.run(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.ok(r.stderr.includes(file) && r.stderr.includes(`tsrun delete -f ${id}`), `${args[0]}: ${r.stderr}`);
      assert.ok(!/Cannot read properties/.test(r.stderr), r.stderr);
    }
    assert.ok(processLives(pid), 'the init lives on until delete -f');
    const del = rt.run(['delete', '-f', id]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stderr, /removed with a damaged state file/);
    assert.equal(processLives(pid), false, 'delete -f left the init running');
    assert.deepEqual(dirs.filter((d) => fs.existsSync(d)), [], 'delete -f left the cgroup');
    assertNothingLeft(rt);
  });
});

describe('no command holds the container lock while it waits on the container', { skip: skipUnlessRoot }, () => {
  const s = sideBySide();
  after(() => s.cleanup());

  /** The container's freezer written THAWED by hand: how a hung exec used to be recovered. */
  function thawByHand(rt: Runtime, id: string): void {
    for (const d of cgroupDirs(rt, id)) {
      for (const f of ['freezer.state', 'cgroup.freeze']) {
        if (fs.existsSync(path.join(d, f))) fs.writeFileSync(path.join(d, f), f === 'cgroup.freeze' ? '0' : 'THAWED');
      }
    }
  }

  test('pause, then exec --ignore-paused: resume completes at once and the exec then runs (as runc)', async () => {
    const bundle = makeBundle(['sleep', '1000']);
    for (const rt of [s.rt, s.runc].filter((r): r is Runtime => r !== undefined)) {
      const id = uniqueId('paused');
      assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
      assert.equal(rt.run(['pause', id]).code, 0);
      const exec = rt.spawn(['exec', '--ignore-paused', id, 'echo', 'exec-ran']);
      try {
        await sleep(500);
        const resume = timed(() => rt.run(['resume', id], { timeout: 10_000 }));
        assert.equal(resume.r.code, 0, `${rt.bin} resume: ${resume.r.stderr}`);
        assert.ok(resume.ms < 3000, `${rt.bin} resume took ${resume.ms} ms`);
        const r = await within(10_000, exec.done);
        assert.ok(r, `${rt.bin} exec did not finish after resume`);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'exec-ran\n');
      } finally {
        if (exec.child.exitCode === null && exec.child.signalCode === null) {
          thawByHand(rt, id);
          exec.child.kill('SIGKILL');
        }
        assert.equal(rt.run(['delete', '-f', id], { timeout: 10_000 }).code, 0);
      }
    }
  });

  test('pause, exec --ignore-paused, SIGTERM or SIGINT to the exec: it ends, having started nothing, and delete -f works', async () => {
    const rt = s.rt;
    const id = uniqueId('term');
    const marker = `marker-${id}`;
    assert.equal(rt.run(['run', '-d', '--bundle', makeBundle(['sleep', '1000']), id]).code, 0);
    assert.equal(rt.run(['pause', id]).code, 0);
    for (const [detach, sig] of [[[], 'SIGTERM'], [[], 'SIGINT'], [['-d'], 'SIGTERM']] as const) {
      const exec = rt.spawn(['exec', ...detach, '--ignore-paused', id, 'sh', '-c', `echo started; sleep 100; : ${marker}`]);
      try {
        await sleep(500);
        exec.child.kill(sig);
        const r = await within(5000, exec.done);
        assert.ok(r, `exec ${detach.join(' ')} ignored ${sig} while it waited`);
        assert.equal(r.code, 128 + os.constants.signals[sig]);
        assert.equal(r.stdout, '');
      } finally {
        if (exec.child.exitCode === null && exec.child.signalCode === null) {
          thawByHand(rt, id);
          exec.child.kill('SIGKILL');
          await exec.done;
          assert.equal(rt.run(['pause', id]).code, 0);
        }
      }
    }
    const del = timed(() => rt.run(['delete', '-f', id], { timeout: 10_000 }));
    assert.equal(del.r.code, 0, del.r.stderr);
    assert.ok(del.ms < 3000, `delete -f took ${del.ms} ms`);
    assert.deepEqual(processesWith(marker), [], 'a process of the ended exec is left');
    assertNothingLeft(rt);
  });

  test('start waits for a slow startContainer hook without the lock: state answers meanwhile, and delete -f ends it', async () => {
    const rt = s.rt;
    const bundle = makeBundle(['sleep', '1000'], (c) => {
      c.hooks = { startContainer: [{ path: '/bin/sleep', args: ['sleep', '4'] }] };
    });
    const id = uniqueId('slowhook');
    assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    const pid = Number(rt.state(id).pid);
    const start = rt.spawn(['start', id]);
    try {
      await sleep(500);
      const state = timed(() => rt.run(['state', id], { timeout: 10_000 }));
      assert.equal(state.r.code, 0, state.r.stderr);
      assert.equal(JSON.parse(state.r.stdout).status, 'created');
      assert.ok(state.ms < 1500, `state waited ${state.ms} ms for start`);
      const again = rt.run(['start', id], { timeout: 10_000 });
      assert.deepEqual([again.code, /cannot start an already running container/.test(again.stderr)], [1, true], again.stderr);
      const del = timed(() => rt.run(['delete', '-f', id], { timeout: 10_000 }));
      assert.equal(del.r.code, 0, del.r.stderr);
      assert.ok(del.ms < 1500, `delete -f waited ${del.ms} ms for start`);
      const r = await within(5000, start.done);
      assert.ok(r, 'start did not end once its container was deleted');
      assert.notEqual(r.code, 0);
      assert.equal(processLives(pid), false);
    } finally {
      await start.done;
    }
    assertNothingLeft(rt);
  });
});

describe('messages that used to mislead', { skip: skipUnlessRoot }, () => {
  const s = sideBySide();
  after(() => s.cleanup());

  test('a 300-character id is "too long", not "already exists" (runc: "file name too long")', () => {
    const bundle = makeBundle(['true']);
    const id = 'a'.repeat(300);
    const r = s.rt.run(['create', '--bundle', bundle, id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container ID is too long: 300 characters, at most 255/);
    assert.ok(!/already exists/.test(r.stderr), r.stderr);
    assert.deepEqual(possibleCgroupDirs(`/tsrun/${id}`).filter((d) => fs.existsSync(d)), []);
    if (s.runc) assert.match(s.runc.run(['create', '--bundle', bundle, id]).stderr, /file name too long/);
    // 255 is still a valid id.
    const longest = 'b'.repeat(255);
    assert.equal(s.rt.run(['run', '--bundle', bundle, longest]).code, 0);
    assertNothingLeft(s.rt);
  });

  test('a --root that is a file: "--root X is not a directory" (runc: "mkdir X: not a directory")', () => {
    const file = path.join(s.rt.root, '..', `${path.basename(s.rt.root)}-file`);
    fs.writeFileSync(file, '');
    s.dirs.push(file);
    const bundle = makeBundle(['true']);
    for (const args of [['create', '--bundle', bundle, 'c1'], ['list'], ['state', 'c1'], ['delete', 'c1']]) {
      const r = spawnSync(tsrunBin, ['--root', file, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 1, args[0]);
      assert.match(r.stderr, new RegExp(`--root ${file} is not a directory`), `${args[0]}: ${r.stderr}`);
      if (s.runc) assert.match(spawnSync('runc', ['--root', file, ...args], { encoding: 'utf8' }).stderr, /not a directory/);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), '');
  });

  test('--preserve-fds past the fd limit, or naming an fd that is not open, says so instead of "Broken pipe"', () => {
    const bundle = makeBundle(['true']);
    const id = uniqueId('fds');
    const over = s.rt.run(['create', '--preserve-fds', '100000', '--bundle', bundle, id]);
    assert.equal(over.code, 1);
    assert.match(over.stderr, /--preserve-fds 100000: passes fds 3 to 100002, .* not below the open-file limit \(RLIMIT_NOFILE \d+\)/);
    const missing = s.rt.run(['run', '--preserve-fds', '500', '--bundle', bundle, id]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--preserve-fds 500: fd \d+ is not open \(fds 3 to 502 go to the container, so each must be open\)/);
    // With no fd passed, fd 3 in tsrun is one node opened for itself (its
    // epoll fd): it is not the caller's to pass on.
    const none = s.rt.run(['run', '--preserve-fds', '1', '--bundle', makeBundle(['ls', '-l', '/proc/self/fd/3']), id]);
    assert.equal(none.code, 1, none.stdout);
    assert.match(none.stderr, /--preserve-fds 1: fd 3 is not open \(fds 3 to 3 go to the container, so each must be open\)/);
    const exec = s.rt.run(['exec', '--preserve-fds', '100000', 'nosuch', 'true']);
    assert.equal(exec.code, 255);
    assert.match(exec.stderr, /exec failed: --preserve-fds 100000: .*RLIMIT_NOFILE/);
    assert.ok(![over, missing, none, exec].some((r) => /Broken pipe/.test(r.stderr)));
    if (s.runc) assert.match(s.runc.run(['create', '--preserve-fds', '100000', '--bundle', bundle, id]).stderr, /preserved-fd/);
    assertNothingLeft(s.rt);
  });

  test('a full --root: the error names the file, and nothing is left, half-written or otherwise', () => {
    const rt = new Runtime();
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=12k', 'tmpfs', rt.root]).status === 0;
    assert.ok(mounted, 'cannot mount a tmpfs');
    const id = uniqueId('full');
    try {
      // A state.json larger than the whole filesystem.
      const bundle = makeBundle(['true'], (c) => {
        c.annotations = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(100)]));
      });
      const r = rt.run(['create', '--bundle', bundle, id]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`cannot write ${path.join(rt.root, id, 'state.json')}: no space left on device`));
      assert.deepEqual(fs.readdirSync(rt.root), []);
      assert.deepEqual(initsUnder(rt.root), []);
      assert.deepEqual(possibleCgroupDirs(`/tsrun/${id}`).filter((d) => fs.existsSync(d)), []);
    } finally {
      spawnSync('umount', [rt.root]);
    }
    rt.cleanup();
  });
});

describe('the launcher: the open-file limit', () => {
  /** tsrun under a hard (and soft) open-file limit of n; stdio in files, as a created container keeps it. */
  const withLimit = (n: number, root: string, args: string[]): Result =>
    runToFiles('sh', ['-c', `ulimit -n ${n} && exec "$0" "$@"`, tsrunBin, '--root', root, ...args], root, { timeout: 30_000 }).result;

  test('a hard limit of 18 is refused with a message naming it and what is needed, not a node stack trace', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-nofile-'));
    try {
      for (const n of [12, 16, 18, 63]) {
        const r = withLimit(n, root, ['list']);
        assert.equal(r.code, 1, `${n}: ${r.stderr}`);
        assert.equal(r.stderr, `tsrun: the hard open-file limit (ulimit -Hn) is ${n}; tsrun needs at least 64\n`);
      }
      assert.equal(withLimit(64, root, ['list']).code, 0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('at the minimum, 64, every command works: create, start, exec, exec -t, run with a terminal, delete', { skip: skipUnlessRoot }, () => {
    const rt = new Runtime();
    try {
      const at64 = (args: string[]) => withLimit(64, rt.root, args);
      const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      const withPts = (c: Record<string, any>) => {
        c.mounts.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['newinstance', 'ptmxmode=0666'] });
      };
      const id = uniqueId('nofile');
      ok(at64(['create', '--bundle', makeBundle(['sleep', '1000'], withPts), id]), 'create');
      ok(at64(['start', id]), 'start');
      ok(at64(['exec', id, 'true']), 'exec');
      const tty = at64(['exec', '-t', id, 'tty']);
      ok(tty, 'exec -t');
      assert.match(tty.stdout, /\/dev\/pts\/\d+/);
      ok(at64(['delete', '-f', id]), 'delete');
      const term = makeBundle(['tty'], (c) => {
        c.process.terminal = true;
        withPts(c);
      });
      const run = at64(['run', '--bundle', term, uniqueId('nofile-t')]);
      ok(run, 'run with a terminal');
      assert.match(run.stdout, /\/dev\/pts\/0/);
    } finally {
      rt.cleanup();
    }
  });
});
