// containerd drives tsrun through its runc shim (io.containerd.runc.v2 with
// --runc-binary): run, exec, a tty, ps, pause/resume, kill and removal, with
// a memory limit. containerd runs with its own root, state and socket under a
// temp dir. Each scenario runs with runc and with tsrun; outputs must agree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DaemonFailed,
  assertSameAsRunc,
  PROBE_SCRIPT,
  Workspace,
  cgroupExists,
  hostMemoryLimit,
  imageRootfs,
  ociArchive,
  rootfsTar,
  run,
  runtimes,
  skipReason,
  startContainerd,
  which,
} from './engine-harness.js';

const skip = skipReason('containerd', ['containerd', 'ctr', 'containerd-shim-runc-v2', 'script']);
const IMAGE = 'localhost/tsrun-e2e-busybox:latest';
const CGROUP_PARENT = `tsrun-e2e-containerd-${process.pid}`;

describe('containerd (ctr, runc shim) with --runc-binary tsrun, compared with runc', { skip, timeout: 600_000 }, () => {
  let ws: Workspace;
  let address = '';
  let unavailable: string | undefined;
  const ctr = (args: string[]) => run(which('ctr')!, ['--address', address, '--namespace', 'tsrun-e2e', ...args]);
  const runOpts = (bin: string, name: string) => ['--runtime', 'io.containerd.runc.v2', '--runc-binary', bin, '--cgroup', `/${CGROUP_PARENT}/${name}`];

  before(async () => {
    ws = new Workspace('containerd');
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
    ctr(['images', 'rm', IMAGE]);
    const problems = await ws.cleanup();
    assert.deepEqual(problems, [], 'containerd left things behind');
  });

  test('ctr run --rm: output, identity, capabilities, rlimits, mounts and the exit code match runc', (t) => {
    if (unavailable) return t.skip(unavailable);
    const out = runtimes().map((rt) => {
      const name = `probe-${rt.name}`;
      const r = ctr(['run', '--rm', ...runOpts(rt.bin, name), IMAGE, name, 'sh', '-c', PROBE_SCRIPT]);
      return { code: r.code, stdout: r.stdout };
    });
    assertSameAsRunc(t, out, (runc) => {
      assert.equal(runc.code, 3, `runc's run did not give 3: ${JSON.stringify(runc)}`);
    });
  });

  test('ctr run -d, task exec (plain, exit code), task ps, a memory limit, pause/resume, kill, task rm, container rm', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const seen = [];
    for (const rt of runtimes()) {
      const name = `life-${rt.name}`;
      const steps: Record<string, unknown> = {};
      const r = ctr(['run', '-d', ...runOpts(rt.bin, name), '--memory-limit', String(64 << 20), IMAGE, name, 'sleep', '1000']);
      assert.equal(r.code, 0, `${rt.name}: ctr run -d: ${r.stderr}`);
      steps.status = taskStatus(ctr(['task', 'ls']).stdout, name);
      steps.exec = ctr(['task', 'exec', '--exec-id', 'e1', name, 'sh', '-c', 'echo in exec as $(id -u); cat /proc/1/cmdline | tr "\\0" " "']).stdout;
      steps.execExit = ctr(['task', 'exec', '--exec-id', 'e2', name, 'sh', '-c', 'exit 5']).code;
      steps.hostLimit = hostMemoryLimit(`${CGROUP_PARENT}/${name}`);
      // `ctr task ps` runs the runtime's `ps --format json`: one pid, the sleep.
      steps.ps = ctr(['task', 'ps', name]).stdout.trim().split('\n').length - 1;
      steps.pause = ctr(['task', 'pause', name]).code;
      steps.paused = taskStatus(ctr(['task', 'ls']).stdout, name);
      steps.resume = ctr(['task', 'resume', name]).code;
      steps.resumed = taskStatus(ctr(['task', 'ls']).stdout, name);
      steps.kill = ctr(['task', 'kill', '--signal', 'SIGKILL', name]).code;
      let stopped = '';
      for (let i = 0; i < 100 && stopped !== 'STOPPED'; i++) {
        stopped = taskStatus(ctr(['task', 'ls']).stdout, name);
        if (stopped !== 'STOPPED') await new Promise((r) => setTimeout(r, 100));
      }
      steps.stopped = stopped;
      steps.taskRm = ctr(['task', 'rm', name]).code;
      steps.containerRm = ctr(['containers', 'rm', name]).code;
      steps.gone = ctr(['containers', 'ls', '-q']).stdout.split('\n').includes(name);
      steps.cgroupGone = !cgroupExists(`${CGROUP_PARENT}/${name}`);
      seen.push(steps);
    }
    assertSameAsRunc(t, seen, (runc) => {
      assert.equal(runc.status, 'RUNNING', `runc: ${JSON.stringify(runc)}`);
      assert.equal(runc.hostLimit, String(64 << 20));
    });
  });

  test('a command that is missing: the shim reports the runtime\'s last JSON log line', (t) => {
    if (unavailable) return t.skip(unavailable);
    const seen = runtimes().map((rt) => {
      const name = `missing-${rt.name}`;
      const r = ctr(['run', '--rm', ...runOpts(rt.bin, name), IMAGE, name, '/nonexistent']);
      ctr(['containers', 'rm', name]);
      return { code: r.code, error: r.stderr.trim().split('\n').pop() ?? '' };
    });
    t.diagnostic(`runc: ${JSON.stringify(seen[0])}; tsrun: ${JSON.stringify(seen[1])}`);
    assert.equal(seen[1].code, seen[0].code);
    for (const s of seen) {
      assert.match(s.error, /^ctr: failed to create shim task: OCI runtime create failed: .*exec: "\/nonexistent": stat \/nonexistent: no such file or directory: unknown$/);
    }
  });

  test('ctr run -t: the container gets a terminal (console socket), as under runc', (t) => {
    if (unavailable) return t.skip(unavailable);
    const out = runtimes().map((rt) => {
      const name = `tty-${rt.name}`;
      const cmd = ['ctr', '--address', address, '--namespace', 'tsrun-e2e', 'run', '--rm', '-t', ...runOpts(rt.bin, name), IMAGE, name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-tty; exit 4'];
      // ctr -t needs a terminal of its own: script(1) gives it one.
      const r = run(which('script')!, ['-qefc', cmd.join(' '), '/dev/null']);
      return { code: r.code, stdout: r.stdout.replace(/\d+/g, 'N') };
    });
    assertSameAsRunc(t, out, (runc) => {
      assert.equal(runc.code, 4);
    });
  });
});

/** A task's STATUS column in `ctr task ls`. */
function taskStatus(table: string, name: string): string {
  const row = table.split('\n').find((l) => l.split(/\s+/)[0] === name);
  return row ? row.trim().split(/\s+/)[2] : 'absent';
}
