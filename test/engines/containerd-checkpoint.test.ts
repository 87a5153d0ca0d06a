// containerd 1.6's checkpoint and restore through `ctr`, with the runc shim
// (io.containerd.runc.v2) given --runc-binary tsrun, side by side with runc.
// The shim runs the runtime's `pause`, `checkpoint --image-path ... --work-path
// ... --file-locks --leave-running`, `resume` for `ctr container checkpoint
// --task`, and `restore --image-path ... --work-path ... --detach --pid-file
// ... -no-subreaper --bundle ...` (one dash, as Go's flag package reads it)
// for `ctr container restore --live`. CRIU comes from PATH, as the runtimes
// look it up; skipped when none passes `criu check` (scripts/setup-criu), or
// when runc cannot checkpoint and restore with it on this kernel (criu-probe).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  DaemonFailed,
  assertSameAsRunc,
  eachRuntime,
  Workspace,
  cgroupExists,
  imageRootfs,
  ociArchive,
  rootfsTar,
  run,
  skipReason,
  startContainerd,
  which,
} from './engine-harness.js';
import { sleep } from '../integration/harness.js';
import { CriuGuard } from '../integration/criu-guard.js';
import { criuSkip } from '../integration/criu-probe.js';

const criuWorks = which('criu') !== undefined && spawnSync(which('criu')!, ['check'], { stdio: 'ignore' }).status === 0;
const skip =
  skipReason('containerd', ['containerd', 'ctr', 'containerd-shim-runc-v2']) ||
  (criuWorks ? false : 'no criu on PATH passes `criu check` (run scripts/setup-criu)') ||
  (await criuSkip(which('criu')!));
// The runtimes find criu on PATH: the guard's wrapper first, so that a criu that hangs can be killed.
const guard = skip ? undefined : new CriuGuard(which('criu')!);
if (guard) process.env.PATH = `${guard.dir}:${process.env.PATH}`;
/** How long a ctr command that runs CRIU may take: seconds where CRIU works, well under the suite's 600 s. */
const CRIU_STEP_MS = 90_000;
const NAMESPACE = 'tsrun-e2e-criu';
const IMAGE = 'localhost/tsrun-e2e-criu:latest';
const CGROUP_PARENT = `tsrun-e2e-containerd-criu-${process.pid}`;
/** Where the runc shim keeps its runtime's state: --root of every runtime call. */
const RUNTIME_ROOT = `/run/containerd/runc/${NAMESPACE}`;
// The counter lives in the shell and goes to /dev/shm, the container's own
// tmpfs, which CRIU dumps and restores; /marker is in the rw layer (--rw).
const COUNTER = 'echo hi > /marker; i=0; while true; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.05; done';

describe('containerd (ctr, runc shim) checkpoint and restore with --runc-binary tsrun, compared with runc', { skip, timeout: 600_000 }, () => {
  let ws: Workspace;
  let address = '';
  let unavailable: string | undefined;
  let execs = 0;
  const ctr = (args: string[], timeout?: number) => run(which('ctr')!, ['--address', address, '--namespace', NAMESPACE, ...args], timeout ? { timeout } : {});
  /** A ctr command that runs CRIU: past CRIU_STEP_MS it is killed, and so is the criu it left behind. */
  const ctrCriu = (args: string[]) => {
    const r = ctr(args, CRIU_STEP_MS);
    if (/ETIMEDOUT/.test(r.stderr)) {
      const killed = guard!.killAll();
      return { ...r, stderr: `${r.stderr}\ntimed out after ${CRIU_STEP_MS / 1000} s${killed.length ? `; killed criu (pids ${killed.join(', ')})` : ''}` };
    }
    return r;
  };
  const runOpts = (bin: string, name: string) => ['--runtime', 'io.containerd.runc.v2', '--runc-binary', bin, '--cgroup', `/${CGROUP_PARENT}/${name}`];
  const status = (name: string) => taskStatus(ctr(['task', 'ls']).stdout, name);
  // Read again when empty: the shell's `>` truncates before it writes.
  const count = (name: string): number => {
    for (let i = 0; ; i++) {
      const r = ctr(['task', 'exec', '--exec-id', `count-${++execs}`, name, 'cat', '/dev/shm/count']);
      assert.equal(r.code, 0, `${name}: ctr task exec: ${r.stderr}`);
      if (r.stdout.trim() !== '' || i === 20) return Number(r.stdout.trim());
    }
  };
  const countAtLeast = async (name: string, n: number): Promise<number> => {
    let c = 0;
    for (let i = 0; i < 100 && (c = count(name)) < n; i++) await sleep(100);
    assert.ok(c >= n, `${name}'s counter did not reach ${n}`);
    return c;
  };
  /** Kills the task, waits until it has stopped, and removes the task and the container. */
  const remove = async (name: string): Promise<{ taskRm: number; containerRm: number }> => {
    // ctr pauses the task for a checkpoint and resumes it after: a ctr killed meanwhile (timed out) leaves it paused.
    if (status(name) === 'PAUSED') ctr(['task', 'resume', name]);
    if (status(name) === 'RUNNING') ctr(['task', 'kill', '--signal', 'SIGKILL', name]);
    for (let i = 0; i < 100 && !['STOPPED', 'absent'].includes(status(name)); i++) await sleep(100);
    const taskRm = status(name) === 'absent' ? 0 : ctr(['task', 'rm', name]).code;
    return { taskRm, containerRm: ctr(['containers', 'rm', name]).code };
  };
  /** The runtime's own view of the task (`<runtime> --root <shim's root> state`): proof that this runtime runs it. */
  const runtimeStatus = (bin: string, name: string): string => {
    const r = run(bin, ['--root', RUNTIME_ROOT, 'state', name]);
    return r.code === 0 ? String(JSON.parse(r.stdout).status) : `exit ${r.code}`;
  };

  before(async () => {
    ws = new Workspace('containerd-criu');
    ws.cgroupParents.push(CGROUP_PARENT);
    try {
      address = await startContainerd(ws);
    } catch (e) {
      if (!(e instanceof DaemonFailed)) throw e;
      unavailable = e.message;
      return;
    }
    const archive = ociArchive(ws, rootfsTar(ws, imageRootfs(ws)), IMAGE);
    const r = ctr(['images', 'import', archive]);
    assert.equal(r.code, 0, `ctr images import: ${r.stdout}${r.stderr}`);
  });

  after(async () => {
    if (!ws) return;
    // A hung checkpoint holds its task: its criu goes first.
    const { stuck } = await guard!.reap();
    const left = address ? ctr(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean) : [];
    for (const name of left) await remove(name);
    for (const ref of address ? ctr(['images', 'ls', '-q']).stdout.split('\n').filter(Boolean) : []) ctr(['images', 'rm', ref]);
    const problems = await ws.cleanup();
    if (left.length) problems.push(`containers left: ${left.join(', ')}`);
    if (stuck.length) problems.push(`criu outlived SIGKILL: ${stuck.join(', ')}`);
    // The shim's runtime root, empty once every task is gone (a runtime's state left there would show).
    try {
      fs.rmdirSync(RUNTIME_ROOT);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${RUNTIME_ROOT}: ${(e as Error).message}`);
    }
    assert.deepEqual(problems, [], 'containerd left things behind');
  });

  test('ctr container checkpoint --task --rw, then container restore --live --rw: the counter goes on, the rw layer is back, nothing left', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const ref = (rt: { name: string }) => `localhost/tsrun-e2e-checkpoint/ckpt-${rt.name}:1`;
    const seen = await eachRuntime(async (rt, steps) => {
      const name = `ckpt-${rt.name}`;
      const r = ctr(['run', '-d', ...runOpts(rt.bin, name), IMAGE, name, 'sh', '-c', COUNTER]);
      assert.equal(r.code, 0, `${rt.name}: ctr run -d: ${r.stderr}`);
      const before = await countAtLeast(name, 40);
      const cp = ctrCriu(['containers', 'checkpoint', '--task', '--rw', name, ref(rt)]);
      steps.checkpoint = cp.code;
      assert.equal(cp.code, 0, `${rt.name}: ctr containers checkpoint: ${cp.stderr}`);
      // The shim checkpoints with --leave-running between pause and resume: the task goes on.
      steps.afterCheckpoint = status(name);
      const atCheckpoint = count(name);
      steps.removed = await remove(name);
      steps.cgroupGone = !cgroupExists(`${CGROUP_PARENT}/${name}`);

      const rs = ctrCriu(['containers', 'restore', '--live', '--rw', name, ref(rt)]);
      steps.restore = rs.code;
      assert.equal(rs.code, 0, `${rt.name}: ctr containers restore: ${rs.stderr}\n${shimLog(ws)}`);
      steps.afterRestore = status(name);
      steps.runtimeState = runtimeStatus(rt.bin, name);
      const a = count(name);
      await sleep(500);
      const b = count(name);
      // From 0 again it would be far below `before` (2 s of counting); stopped, it would not move.
      t.diagnostic(`${rt.name}: counter ${before} → checkpoint → ${atCheckpoint} → restore → ${a} → ${b}`);
      steps.goesOn = a >= before && b > a;
      steps.marker = ctr(['task', 'exec', '--exec-id', `marker-${++execs}`, name, 'cat', '/marker']).stdout.trim();
      steps.cgroup = cgroupExists(`${CGROUP_PARENT}/${name}`);
      steps.removedAgain = await remove(name);
      steps.cgroupGoneAgain = !cgroupExists(`${CGROUP_PARENT}/${name}`);
      steps.runtimeStateGone = runtimeStatus(rt.bin, name) !== 'running';
      steps.imageRm = ctr(['images', 'rm', ref(rt)]).code;
    }, async (rt) => {
      guard!.killAll();
      await remove(`ckpt-${rt.name}`);
      ctr(['images', 'rm', ref(rt)]);
    });
    assertSameAsRunc(t, seen, (runc) => {
      assert.equal(runc.failed, undefined, `runc's side failed: ${runc.failed}`);
      assert.equal(runc.afterRestore, 'RUNNING', `runc: ${JSON.stringify(runc)}`);
      assert.equal(runc.goesOn, true);
      assert.equal(runc.marker, 'hi');
    });
  });

  test('ctr task checkpoint --exit --image-path --work-path: the task stops, the images and descriptors.json are where ctr said', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const seen = await eachRuntime(async (rt, steps) => {
      const name = `exit-${rt.name}`;
      const images = ws.path(`images-${rt.name}`);
      const work = ws.path(`work-${rt.name}`);
      const r = ctr(['run', '-d', ...runOpts(rt.bin, name), IMAGE, name, 'sh', '-c', COUNTER]);
      assert.equal(r.code, 0, `${rt.name}: ctr run -d: ${r.stderr}`);
      await countAtLeast(name, 5);
      const cp = ctrCriu(['task', 'checkpoint', '--exit', '--image-path', images, '--work-path', work, name]);
      steps.checkpoint = cp.code;
      assert.equal(cp.code, 0, `${rt.name}: ctr task checkpoint: ${cp.stderr}`);
      let st = '';
      for (let i = 0; i < 100 && (st = status(name)) !== 'STOPPED'; i++) await sleep(100);
      steps.status = st;
      steps.images = ['inventory.img', 'pstree.img', 'descriptors.json'].filter((f) => fs.existsSync(path.join(images, f)));
      steps.descriptors = JSON.parse(fs.readFileSync(path.join(images, 'descriptors.json'), 'utf8')).length;
      steps.dumpLog = fs.existsSync(path.join(work, 'dump.log'));
      steps.removed = await remove(name);
      steps.cgroupGone = !cgroupExists(`${CGROUP_PARENT}/${name}`);
    }, async (rt) => {
      guard!.killAll();
      await remove(`exit-${rt.name}`);
    });
    assertSameAsRunc(t, seen, (runc) => {
      assert.equal(runc.failed, undefined, `runc's side failed: ${runc.failed}`);
      assert.equal(runc.status, 'STOPPED', `runc: ${JSON.stringify(runc)}`);
      assert.equal((runc.images as string[]).length, 3);
    });
  });
});

/** A task's STATUS column in `ctr task ls`. */
function taskStatus(table: string, name: string): string {
  const row = table.split('\n').find((l) => l.split(/\s+/)[0] === name);
  return row ? row.trim().split(/\s+/)[2] : 'absent';
}

/** The end of containerd's log (the shim's errors land there), for a failure's message. */
function shimLog(ws: Workspace): string {
  try {
    return fs.readFileSync(ws.path('containerd.log'), 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}
