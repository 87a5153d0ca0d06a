// podman drives tsrun in runc's place (podman --runtime): run, exec, a tty,
// stop, pause, rm, a --memory limit, the default bridge network and
// --sdnotify=container. Each scenario runs with runc and with tsrun, and
// their outputs must agree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROBE_SCRIPT,
  assertSameAsRunc,
  cgroupExists,
  hostMemoryLimit,
  runtimes,
  skipReason,
} from './engine-harness.js';
import { Podman } from './podman-harness.js';
import { HostSocket } from '../integration/sd-notify.js';

const skip = skipReason('podman', ['podman', 'conmon']);
const IMAGE = 'localhost/tsrun-e2e-busybox:latest';
const CGROUP_PARENT = `tsrun-e2e-podman-${process.pid}`;
// CAP_SYS_RESOURCE is missing on these machines: podman's default rlimits
// (1048576 open files) are above the hard limit and cannot be set.
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

describe('podman --runtime tsrun, compared with runc', { skip, timeout: 600_000 }, () => {
  let pm: Podman;
  const podman = (runtime: string, args: string[], env: NodeJS.ProcessEnv = process.env) => pm.run(runtime, args, env);
  const runArgs = ['--cgroup-parent', `/${CGROUP_PARENT}`, ...ULIMITS];

  before(() => {
    pm = new Podman('podman', CGROUP_PARENT);
    pm.setUp(IMAGE);
  });

  after(async () => {
    await pm?.cleanup();
  });

  test('run --rm: output, identity, capabilities, rlimits, pid 1 and the exit code match runc', (t) => {
    const out = runtimes().map((rt) => {
      const r = podman(rt.name, ['run', '--rm', ...runArgs, IMAGE, 'sh', '-c', PROBE_SCRIPT]);
      return { code: r.code, stdout: r.stdout };
    });
    assertSameAsRunc(t, out, (runc) => {
      assert.equal(runc.code, 3, `runc's run did not give 3: ${JSON.stringify(runc)}`);
    });
  });

  test('run -d, exec (plain, with an exit code, with -t), a --memory limit, the bridge network, pause, stop and rm', (t) => {
    const seen = runtimes().map((rt) => {
      const name = `tsrun-e2e-${rt.name}-${process.pid}`;
      const steps: Record<string, unknown> = {};
      const r = podman(rt.name, ['run', '-d', '--name', name, '--memory', '64m', ...runArgs, IMAGE, 'sleep', '1000']);
      assert.equal(r.code, 0, `${rt.name}: podman run -d: ${r.stderr}`);
      const id = r.stdout.trim();
      steps.status = podman(rt.name, ['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
      steps.exec = podman(rt.name, ['exec', name, 'sh', '-c', 'echo in exec as $(id -u); cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']).stdout;
      steps.hostLimit = hostMemoryLimit(`${CGROUP_PARENT}/libpod-${id}`);
      steps.execExit = podman(rt.name, ['exec', name, 'sh', '-c', 'exit 5']).code;
      steps.execTty = podman(rt.name, ['exec', '-t', name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-tty']).stdout.replace(/\d+/g, 'N');
      // The default bridge network: an eth0 with an IPv4 address on podman's subnet, and a route out.
      steps.network = podman(rt.name, ['exec', name, 'sh', '-c', 'ip -4 -o addr show eth0 | awk "{print \\$2, \\$4}"; ip route | grep -c default'])
        .stdout.replace(/\.\d+\//, '.X/');
      steps.ps = podman(rt.name, ['top', name, 'args']).stdout;
      const pause = podman(rt.name, ['pause', name]);
      steps.paused = pause.code === 0 ? podman(rt.name, ['inspect', '--format', '{{.State.Status}}', name]).stdout.trim() : `pause failed: ${pause.stderr}`;
      steps.unpause = podman(rt.name, ['unpause', name]).code;
      // sleep as pid 1 has no TERM handler, so stop ends in KILL after the timeout.
      steps.stop = podman(rt.name, ['stop', '--time', '1', name]).code;
      steps.exitCode = podman(rt.name, ['inspect', '--format', '{{.State.ExitCode}}', name]).stdout.trim();
      steps.rm = podman(rt.name, ['rm', name]).code;
      steps.gone = podman(rt.name, ['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}']).stdout;
      steps.cgroupGone = !cgroupExists(`${CGROUP_PARENT}/libpod-${id}`);
      return steps;
    });
    assertSameAsRunc(t, seen, (runc) => {
      assert.equal(runc.status, 'running', `runc: ${JSON.stringify(runc)}`);
      assert.equal(runc.hostLimit, String(64 * 1024 * 1024));
    });
  });

  test('run -t: the container gets a terminal, as under runc', (t) => {
    const out = runtimes().map((rt) => {
      const r = podman(rt.name, ['run', '--rm', '-t', ...runArgs, IMAGE, 'sh', '-c', 'tty; stty size 2>&1 | wc -w']);
      return { code: r.code, stdout: r.stdout.replace(/\d+/g, 'N') };
    });
    assertSameAsRunc(t, out, (runc) => {
      assert.equal(runc.code, 0);
    });
  });

  test('a command that is missing or not executable: exit 127 / 126 and the runtime\'s own error line, read from its JSON log', (t) => {
    const seen = runtimes().map((rt) =>
      ['/nonexistent', '/etc/passwd'].map((cmd) => {
        const r = podman(rt.name, ['run', '--rm', ...runArgs, IMAGE, cmd]);
        return { code: r.code, error: r.stderr.trim().split('\n').pop() ?? '' };
      }),
    );
    t.diagnostic(`runc: ${JSON.stringify(seen[0])}; tsrun: ${JSON.stringify(seen[1])}`);
    for (const [i, rt] of runtimes().entries()) {
      const [missing, noexec] = seen[i];
      assert.equal(missing.code, 127, `${rt.name}: ${missing.error}`);
      assert.equal(noexec.code, 126, `${rt.name}: ${noexec.error}`);
      // podman shows the msg of the log's last line, not a raw `time=... level=error` line.
      assert.match(missing.error, new RegExp(`^Error: ${rt.name}: .*exec: "/nonexistent": stat /nonexistent: no such file or directory: OCI runtime attempted to invoke a command that was not found$`));
      assert.match(noexec.error, new RegExp(`^Error: ${rt.name}: .*exec: "/etc/passwd": permission denied: OCI permission denied$`));
    }
  });

  test('--sdnotify=container: READY=1 from the container reaches the caller\'s NOTIFY_SOCKET', async (t) => {
    const seen: unknown[] = [];
    for (const rt of runtimes()) {
      const host = await HostSocket.listen(pm.ws.dir);
      try {
        const name = `tsrun-e2e-notify-${rt.name}-${process.pid}`;
        const env = { ...process.env, NOTIFY_SOCKET: host.path };
        const r = podman(rt.name, ['run', '-d', '--name', name, '--sdnotify=container', ...runArgs, IMAGE, 'sh', '-c', 'sleep 0.2; sd-notify READY=1; sleep 1000'], env);
        assert.equal(r.code, 0, `${rt.name}: ${r.stderr}`);
        const msgs = await host.waitForMessage((m) => m.msg.startsWith('READY=1'));
        podman(rt.name, ['rm', '--force', '--time', '0', name]);
        seen.push(msgs.map((m) => ({ ...m, msg: m.msg.trimEnd().replace(/^MAINPID=\d+$/, 'MAINPID=N') })).sort((a, b) => a.msg.localeCompare(b.msg)));
      } finally {
        await host.close();
      }
    }
    assertSameAsRunc(t, seen, (runc) => {
      assert.ok(JSON.stringify(runc).includes('READY=1'), `runc: ${JSON.stringify(runc)}`);
    });
  });
});
