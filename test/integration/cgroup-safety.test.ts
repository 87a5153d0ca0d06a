// A create that fails, or the sweep of one that was killed, undoes only what
// it made itself: never another container's processes or cgroup (issue 12,
// item 1). And each --root has its own default cgroup parent, so two roots
// can both run a container of the same id. linux.resources.unified cannot
// name cgroup.procs and pull a host process in (item 2).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { makeBundle, processLives, Runtime, skipUnlessRoot, uniqueId } from './harness.js';

const layout = (() => {
  try {
    return hostLayout();
  } catch {
    return undefined;
  }
})();
const skip = skipUnlessRoot || (!layout ? 'no cgroup filesystem' : false);

/** The cgroup path of pid, as /proc/<pid>/cgroup shows it: the unified line on v2 and hybrid, else a v1 one. */
function cgroupOf(pid: number): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const line = lines.find((l) => l.startsWith('0::')) ?? lines.find((l) => /^\d+:[^:]*memory[^:]*:/.test(l)) ?? lines[0];
  return line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
}

/** Every hierarchy's directory for cgroup path p. */
const allDirs = (p: string) => [...layout!.v1.map((h) => path.join(h.mount, p)), ...(layout!.unified ? [path.join(layout!.unified, p)] : [])];

/** The container is running, its init alive and still in its cgroup, which is there in every hierarchy. */
function assertIntact(rt: Runtime, id: string, cgPath: string): void {
  const st = rt.state(id);
  assert.equal(st.status, 'running', `${id} must still be running`);
  const pid = Number(st.pid);
  assert.ok(processLives(pid), `${id}'s init (pid ${pid}) must be alive`);
  assert.equal(cgroupOf(pid), cgPath, `${id}'s init must still be in its cgroup`);
  for (const d of allDirs(cgPath)) {
    assert.ok(fs.existsSync(d), `${id}'s cgroup ${d} must still exist`);
    assert.ok(fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)), `${d} must still hold ${id}'s init`);
  }
}

describe('cgroup safety: a failed create touches nothing it did not make', { skip }, () => {
  const a = new Runtime();
  const b = new Runtime();
  const paths = new Set<string>();
  const bundle = makeBundle(['sleep', '300']);

  after(() => {
    a.cleanup();
    b.cleanup();
    for (const p of paths) for (const d of allDirs(p)) assert.ok(!fs.existsSync(d), `cgroup ${d} was left behind`);
  });

  /** Runs id detached under rt and returns its cgroup path. */
  function runDetached(rt: Runtime, id: string, bundleDir = bundle): string {
    const r = rt.run(['run', '-d', '--bundle', bundleDir, id]);
    assert.equal(r.code, 0, r.stderr);
    const p = cgroupOf(Number(rt.state(id).pid));
    paths.add(p);
    return p;
  }

  test('two roots can both run a container of the same id at the same time, in cgroups of their own', () => {
    const id = uniqueId('same');
    const pa = runDetached(a, id);
    const r = b.run(['run', '-d', '--bundle', bundle, id]);
    assert.equal(r.code, 0, `the second root's ${id} must run too: ${r.stderr}`);
    const pb = cgroupOf(Number(b.state(id).pid));
    paths.add(pb);
    assert.notEqual(pa, pb, 'each root has its own cgroup parent');
    assertIntact(a, id, pa);
    assertIntact(b, id, pb);
    for (const rt of [a, b]) assert.equal(rt.run(['delete', '--force', id]).code, 0);
    for (const d of [...allDirs(pa), ...allDirs(pb)]) assert.ok(!fs.existsSync(d), `${d} removed by delete`);
  });

  test('a create refused because its cgroupsPath names another container\'s cgroup leaves that container running (same root and another)', () => {
    const c1 = uniqueId('victim');
    const p1 = runDetached(a, c1);
    for (const [rt, id] of [[a, uniqueId('intruder')], [b, c1]] as const) {
      const intruder = makeBundle(['sleep', '300'], (c) => (c.linux.cgroupsPath = p1));
      const r = rt.run(['create', '--bundle', intruder, id]);
      assert.equal(r.code, 1, `a create into ${p1} must be refused: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`/linux/cgroupsPath: the cgroup ${p1} already holds processes`));
      assertIntact(a, c1, p1);
      assert.notEqual(rt.run(['state', id]).code, 0, 'the refused create left no state');
    }
    assert.deepEqual(a.ids(), [c1], 'only c1 has state in its root');
    assert.deepEqual(b.ids(), [], 'the refused create left no state');
    assert.equal(a.run(['delete', '--force', c1]).code, 0);
  });

  test('the sweep of a killed create removes only what that create made, never a cgroup it found', () => {
    const c1 = uniqueId('victim');
    const p1 = runDetached(a, c1);
    // A create killed after it recorded the cgroup it was going to use (c1's,
    // which it found there and would have been refused), before it made anything.
    const dead = uniqueId('dead');
    fs.mkdirSync(path.join(b.root, dead));
    const record = {
      mode: layout!.mode, path: p1, ownedFrom: p1.startsWith('/tsrun/') ? '/tsrun' : '', created: [],
      v1: layout!.mode === 'v2' ? [] : layout!.v1.map((h) => ({ mount: h.mount, controllers: h.controllers, dir: path.join(h.mount, p1) })),
      unified: layout!.unified ? { mount: layout!.unified, dir: path.join(layout!.unified, p1) } : undefined,
    };
    fs.writeFileSync(path.join(b.root, dead, 'cgroup.json'), JSON.stringify(record));
    assert.equal(b.run(['list']).code, 0); // sweeps what the dead create left
    assert.deepEqual(b.ids(), [], 'the dead create\'s directory is swept');
    assertIntact(a, c1, p1);

    // Killed while making directories: of those missing then, the empty ones go; c1's stays.
    const fresh = `/tsrun-safety-${process.pid}`;
    const made = allDirs(`${fresh}/x`);
    for (const d of made) fs.mkdirSync(d, { recursive: true });
    const making = [...allDirs(fresh), ...made, ...allDirs(p1)];
    fs.mkdirSync(path.join(b.root, dead));
    fs.writeFileSync(path.join(b.root, dead, 'cgroup.json'), JSON.stringify({ ...record, making }));
    assert.equal(b.run(['list']).code, 0);
    assert.deepEqual(b.ids(), []);
    for (const d of [...allDirs(fresh), ...made]) {
      const gone = !fs.existsSync(d);
      if (!gone) fs.rmdirSync(d);
      assert.ok(gone, `the empty ${d} the dead create was making is swept`);
    }
    assertIntact(a, c1, p1);
    assert.equal(a.run(['delete', '--force', c1]).code, 0);
  });
});

describe('cgroup safety: linux.resources.unified cannot reach other processes', { skip }, () => {
  const rt = new Runtime();
  after(() => rt.cleanup());

  test('config-linux.md "Unified": cgroup.procs naming a host process is refused; the process stays where it was, alive', async () => {
    const victim = spawn('sleep', ['300'], { stdio: 'ignore' });
    const closed = new Promise((r) => victim.on('close', r));
    try {
      const pid = victim.pid!;
      const before = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      const id = uniqueId('procs');
      const r = rt.run(['run', '-d', '--bundle', makeBundle(['sleep', '300'], (c) => (c.linux.resources = { unified: { 'cgroup.procs': String(pid) } })), id]);
      assert.equal(r.code, 1, `the create must be refused: ${r.stderr}`);
      assert.match(r.stderr, /\/linux\/resources\/unified\/cgroup\.procs: cgroup\.procs cannot be set: it moves processes into the cgroup/);
      rt.run(['delete', '--force', id]); // what a container that got it would do to it
      assert.ok(processLives(pid), 'the victim is alive');
      assert.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), before, 'the victim stays in its own cgroups');
      assert.deepEqual(rt.ids(), [], 'the refused create left no state');
    } finally {
      victim.kill('SIGKILL');
      await closed;
    }
  });
});

describe('cgroup safety: the cgroup-attach warm-up moves nothing', { skip: skip || (layout?.mode === 'v2' ? 'pure v2: no warm-up' : false) }, () => {
  test('a process in a cgroup of its own stays there in every hierarchy while the warm-up rewrites its cgroup.procs', async () => {
    // Below the root, so a target one level off (the parent, the root) would show as a move.
    const cg = `/tsrun-warm-test-${process.pid}`;
    const dirs = allDirs(cg);
    for (const d of dirs) {
      fs.mkdirSync(d);
      // A new v1 cpuset takes no process until it has cpus and mems: its parent's.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (fs.existsSync(path.join(d, f))) fs.writeFileSync(path.join(d, f), fs.readFileSync(path.join(path.dirname(d), f)));
      }
    }
    const modules = path.resolve(import.meta.dirname, '../../src');
    const script = `
      const fs = await import('node:fs');
      for (const d of ${JSON.stringify(dirs)}) fs.writeFileSync(d + '/cgroup.procs', '0');
      const { ownWarmUpTarget } = await import(${JSON.stringify(`${modules}/runtime/cgroup-warm.js`)});
      const { native } = await import(${JSON.stringify(`${modules}/core/native.js`)});
      const before = fs.readFileSync('/proc/self/cgroup', 'utf8');
      const target = ownWarmUpTarget();
      const started = native().cgroupWarmStart(target, 2, 1000);
      const missing = native().cgroupWarmStart('/nonexistent/cgroup.procs', 2, 1000);
      await new Promise((r) => setTimeout(r, 100));
      native().cgroupWarmStop();
      process.stdout.write(JSON.stringify({ before, after: fs.readFileSync('/proc/self/cgroup', 'utf8'), target, started, missing }));
    `;
    try {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b) => (out += b));
      const code = await new Promise((r) => child.on('close', r));
      assert.equal(code, 0, `the child failed: ${out}`);
      const r = JSON.parse(out) as { before: string; after: string; target: string; started: boolean; missing: boolean };
      const inside = layout!.unified ? path.join(layout!.unified, cg, 'cgroup.procs') : path.join(layout!.v1[0].mount, cg, 'cgroup.procs');
      assert.equal(r.target, inside, 'the warm-up rewrites the cgroup.procs of the cgroup the process is in');
      assert.ok(r.started, 'the warm-up thread started');
      assert.equal(r.missing, false, 'a target that cannot be opened starts nothing');
      assert.match(r.before, new RegExp(`:${cg}$`, 'm'));
      assert.equal(r.after, r.before, 'the process stays in its cgroups');
    } finally {
      for (const d of dirs) fs.rmdirSync(d);
    }
  });

  test("the launcher's pipe end handed to the warm-up: held without a thread of ours (the launcher's goes on), closed when it ends", async () => {
    const modules = path.resolve(import.meta.dirname, '../../src');
    // fd 3 comes from the shell, as the launcher hands TSRUN_WARM_FD to node.
    const script = `
      const fs = await import('node:fs');
      const { ownWarmUpTarget } = await import(${JSON.stringify(`${modules}/runtime/cgroup-warm.js`)});
      const { native } = await import(${JSON.stringify(`${modules}/core/native.js`)});
      const isOpen = (fd) => { try { fs.fstatSync(fd); return true; } catch { return false; } };
      const threads = () => Number(/^Threads:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
      const r = {};
      native();
      let before = threads();
      r.ownThread = native().cgroupWarmStart(ownWarmUpTarget(), 2, 1000) && threads() - before;
      native().cgroupWarmStop();
      await new Promise((res) => setTimeout(res, 50));
      before = threads();
      r.held = native().cgroupWarmStart(ownWarmUpTarget(), 2, 1000, 3);
      r.threadsWhileHeld = threads() - before;
      r.openWhileHeld = isOpen(3);
      native().cgroupWarmStop();
      r.openAfterStop = isOpen(3);
      r.badFd = native().cgroupWarmStart(ownWarmUpTarget(), 2, 1000, 999);
      process.stdout.write(JSON.stringify(r));
    `;
    const child = spawn('sh', ['-c', 'exec "$0" --input-type=module -e "$1" 3</dev/null', process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0, `the child failed: ${out}`);
    assert.deepEqual(JSON.parse(out), {
      ownThread: 1, // control: without a launcher's, the warm-up is a thread of ours
      held: true,
      threadsWhileHeld: 0,
      openWhileHeld: true,
      openAfterStop: false,
      badFd: false,
    });
  });
});
