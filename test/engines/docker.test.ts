// dockerd drives tsrun as an added runtime (--add-runtime tsrun=...,
// docker run --runtime tsrun): run, exec, a tty, pause, stop, rm and a
// --memory limit. dockerd runs with its own data/exec roots and socket under a
// temp dir, on a containerd of the test's own, with no iptables and no
// bridge. Each scenario runs with runc and with tsrun; outputs must agree.
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
  rootfsTar,
  run,
  runtimes,
  skipReason,
  startDockerd,
  tsrunBin,
  which,
} from './engine-harness.js';

const skip = skipReason('docker', ['dockerd', 'containerd', 'ctr']);
const IMAGE = 'tsrun-e2e-busybox:latest';
const CGROUP_PARENT = `tsrun-e2e-docker-${process.pid}`;
// The client from the same package as dockerd, whatever else is on PATH.
const dockerClient = () => which('docker', ['/usr/bin']);

describe('docker run --runtime tsrun, compared with runc', { skip, timeout: 600_000 }, () => {
  let ws: Workspace;
  let unavailable: string | undefined;
  let host = '';
  const docker = (args: string[]) => run(dockerClient()!, ['-H', host, ...args]);
  // dockerd knows runc by that name already; tsrun is the added runtime.
  const runtimeName = (name: string) => (name === 'runc' ? 'runc' : 'tsrun');

  before(async () => {
    ws = new Workspace('docker');
    ws.cgroupParents.push(CGROUP_PARENT);
    try {
      host = await startDockerd(ws, dockerClient()!, CGROUP_PARENT, { tsrun: tsrunBin });
    } catch (e) {
      if (!(e instanceof DaemonFailed)) throw e;
      unavailable = e.message;
      return;
    }
    const r = docker(['import', rootfsTar(ws, imageRootfs(ws)), IMAGE]);
    assert.equal(r.code, 0, `docker import: ${r.stderr}`);
  });

  after(async () => {
    if (!ws) return;
    if (!unavailable) {
      const left = docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (left.length) docker(['rm', '-f', ...left]);
      docker(['rmi', IMAGE]);
    }
    const problems = await ws.cleanup();
    assert.deepEqual(problems, [], 'dockerd left things behind');
  });

  test('docker run --rm: output, identity, capabilities, rlimits, mounts and the exit code match runc', (t) => {
    if (unavailable) return t.skip(unavailable);
    const out = runtimes().map((rt) => {
      const r = docker(['run', '--rm', '--network', 'none', '--runtime', runtimeName(rt.name), IMAGE, 'sh', '-c', PROBE_SCRIPT]);
      return { code: r.code, stdout: r.stdout };
    });
    assertSameAsRunc(t, out, (runc) => {
      assert.equal(runc.code, 3, `runc's run did not give 3: ${JSON.stringify(runc)}`);
    });
  });

  test('docker run -d, exec (plain, exit code, -t), top, a --memory limit, pause, stop and rm', (t) => {
    if (unavailable) return t.skip(unavailable);
    const seen = runtimes().map((rt) => {
      const name = `tsrun-e2e-${rt.name}-${process.pid}`;
      const steps: Record<string, unknown> = {};
      const r = docker(['run', '-d', '--name', name, '--network', 'none', '--memory', '64m', '--runtime', runtimeName(rt.name), IMAGE, 'sleep', '1000']);
      assert.equal(r.code, 0, `${rt.name}: docker run -d: ${r.stderr}`);
      const id = r.stdout.trim();
      steps.status = docker(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
      steps.exec = docker(['exec', name, 'sh', '-c', 'echo in exec as $(id -u); tr "\\0" " " < /proc/1/cmdline']).stdout;
      steps.execExit = docker(['exec', name, 'sh', '-c', 'exit 5']).code;
      steps.execTty = docker(['exec', '-t', name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-tty']).stdout.replace(/\d+/g, 'N');
      steps.hostLimit = hostMemoryLimit(`${CGROUP_PARENT}/${id}`);
      // docker top lists the container's cgroup pids through the host's ps.
      const top = docker(['top', name, '-o', 'pid,args']);
      // docker pads each column to its widest cell, so a pid with more digits shifts the row: compared as words, the pid as N.
      const words = (row: string) => row.trim().split(/\s+/).map((w, i) => (i === 0 && /^\d+$/.test(w) ? 'N' : w)).join(' ');
      steps.top = { code: top.code, rows: top.stdout.trim().split('\n').map(words) };
      steps.pause = docker(['pause', name]).code;
      steps.paused = docker(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
      steps.unpause = docker(['unpause', name]).code;
      // sleep as pid 1 has no TERM handler, so stop ends in KILL after the timeout.
      steps.stop = docker(['stop', '--time', '1', name]).code;
      steps.exitCode = docker(['inspect', '--format', '{{.State.ExitCode}}', name]).stdout.trim();
      steps.rm = docker(['rm', name]).code;
      steps.gone = docker(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}']).stdout;
      steps.cgroupGone = !cgroupExists(`${CGROUP_PARENT}/${id}`);
      return steps;
    });
    assertSameAsRunc(t, seen, (runc) => {
      assert.equal(runc.status, 'running', `runc: ${JSON.stringify(runc)}`);
      assert.equal(runc.hostLimit, String(64 << 20));
    });
  });

  test('a command that is missing or not executable: exit 127 / 126 and the runtime\'s error line', (t) => {
    if (unavailable) return t.skip(unavailable);
    const seen = runtimes().map((rt) =>
      ['/nonexistent', '/etc/passwd'].map((cmd) => {
        const r = docker(['run', '--rm', '--network', 'none', '--runtime', runtimeName(rt.name), IMAGE, cmd]);
        return { code: r.code, error: r.stderr.trim().split('\n')[0] ?? '' };
      }),
    );
    t.diagnostic(`runc: ${JSON.stringify(seen[0])}; tsrun: ${JSON.stringify(seen[1])}`);
    for (const [missing, noexec] of seen) {
      assert.equal(missing.code, 127, missing.error);
      assert.equal(noexec.code, 126, noexec.error);
      assert.match(missing.error, /^docker: Error response from daemon: failed to create shim task: OCI runtime create failed: .*exec: "\/nonexistent": stat \/nonexistent: no such file or directory: unknown\.$/);
      assert.match(noexec.error, /^docker: Error response from daemon: failed to create shim task: OCI runtime create failed: .*exec: "\/etc\/passwd": permission denied: unknown\.$/);
    }
  });

  test('docker run -t: the container gets a terminal, as under runc', (t) => {
    if (unavailable) return t.skip(unavailable);
    const out = runtimes().map((rt) => {
      const r = docker(['run', '--rm', '-t', '--network', 'none', '--runtime', runtimeName(rt.name), IMAGE, 'sh', '-c', 'tty; stty size | wc -w; exit 4']);
      return { code: r.code, stdout: r.stdout.replace(/\d+/g, 'N') };
    });
    assertSameAsRunc(t, out, (runc) => {
      assert.equal(runc.code, 4);
    });
  });
});
