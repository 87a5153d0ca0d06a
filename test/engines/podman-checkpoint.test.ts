// podman container checkpoint / restore with --runtime tsrun, side by side
// with runc: podman runs the runtime's checkpoint and restore (with its own
// image and work paths, its netns joined by path, a "cgroup" mount) and
// CRIU from PATH. A counter kept in a shell variable must go on from where
// it was. Skipped when no criu passes `criu check` (scripts/setup-criu).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runtimes, skipReason, which } from './engine-harness.js';
import { Podman } from './podman-harness.js';
import { sleep } from '../integration/harness.js';

const criuWorks = which('criu') !== undefined && spawnSync(which('criu')!, ['check'], { stdio: 'ignore' }).status === 0;
const skip = skipReason('podman', ['podman', 'conmon']) || (criuWorks ? false : 'no criu on PATH passes `criu check` (run scripts/setup-criu)');
const IMAGE = 'localhost/tsrun-e2e-criu:latest';
const CGROUP_PARENT = `tsrun-e2e-podman-criu-${process.pid}`;
// As in podman.test.ts: podman's default rlimits are above these machines' hard limits.
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done';

describe('podman container checkpoint/restore --runtime tsrun, compared with runc', { skip, timeout: 600_000 }, () => {
  let pm: Podman;
  const podman = (runtime: string, args: string[]) => pm.run(runtime, args);

  before(() => {
    pm = new Podman('podman-criu', CGROUP_PARENT);
    pm.setUp(IMAGE);
  });

  after(async () => {
    await pm?.cleanup();
  });

  test('checkpoint, then restore: the counter goes on; the container is running again under the same name', async () => {
    for (const rt of runtimes()) {
      const name = `criu-${rt.name}-${process.pid}`;
      // Read again when empty: the shell's `>` truncates before it writes.
      const count = (): number => {
        for (let i = 0; ; i++) {
          const r = podman(rt.name, ['exec', name, 'cat', '/tmp/count']);
          assert.equal(r.code, 0, `${rt.name} exec: ${r.stderr}`);
          if (r.stdout.trim() !== '' || i === 20) return Number(r.stdout.trim());
        }
      };
      const r = podman(rt.name, ['run', '-d', '--name', name, '--cgroup-parent', `/${CGROUP_PARENT}`, ...ULIMITS, IMAGE, 'sh', '-c', COUNTER]);
      assert.equal(r.code, 0, `${rt.name} run: ${r.stderr}`);
      let before = 0;
      for (let i = 0; i < 100 && (before = count()) < 20; i++) await sleep(50);
      const cp = podman(rt.name, ['container', 'checkpoint', name]);
      assert.equal(cp.code, 0, `${rt.name} checkpoint: ${cp.stderr}`);
      assert.match(podman(rt.name, ['inspect', '--format', '{{.State.Status}}', name]).stdout, /exited/);
      const rs = podman(rt.name, ['container', 'restore', name]);
      assert.equal(rs.code, 0, `${rt.name} restore: ${rs.stderr}`);
      assert.match(podman(rt.name, ['inspect', '--format', '{{.State.Status}}', name]).stdout, /running/);
      const a = count();
      await sleep(300);
      const b = count();
      assert.ok(a >= before && b > a && b < before + 200, `${rt.name}: counter ${before} → ${a} → ${b}`);
      assert.equal(podman(rt.name, ['rm', '--force', '--time', '0', name]).code, 0);
    }
  });
});
