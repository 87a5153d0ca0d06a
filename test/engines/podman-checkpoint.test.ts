// podman container checkpoint / restore with --runtime tsrun, side by side
// with runc: podman runs the runtime's checkpoint and restore (with its own
// image and work paths, its netns joined by path, a "cgroup" mount) and
// CRIU from PATH. A counter kept in a shell variable must go on from where
// it was. Skipped when no criu passes `criu check` (scripts/setup-criu), or
// when runc cannot checkpoint and restore with it on this kernel (criu-probe).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertSameAsRunc, eachRuntime, skipReason, which } from './engine-harness.js';
import { Podman } from './podman-harness.js';
import { sleep } from '../integration/harness.js';
import { CriuGuard } from '../integration/criu-guard.js';
import { criuSkip } from '../integration/criu-probe.js';

const criuWorks = which('criu') !== undefined && spawnSync(which('criu')!, ['check'], { stdio: 'ignore' }).status === 0;
const skip =
  skipReason('podman', ['podman', 'conmon']) ||
  (criuWorks ? false : 'no criu on PATH passes `criu check` (run scripts/setup-criu)') ||
  (await criuSkip(which('criu')!));
// podman and the runtimes find criu on PATH: the guard's wrapper first, so that a criu that hangs can be killed.
const guard = skip ? undefined : new CriuGuard(which('criu')!);
if (guard) process.env.PATH = `${guard.dir}:${process.env.PATH}`;
/** How long a podman command that runs CRIU may take: seconds where CRIU works, well under the suite's 600 s. */
const CRIU_STEP_MS = 90_000;
const IMAGE = 'localhost/tsrun-e2e-criu:latest';
const CGROUP_PARENT = `tsrun-e2e-podman-criu-${process.pid}`;
// As in podman.test.ts: podman's default rlimits are above these machines' hard limits.
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done';

describe('podman container checkpoint/restore --runtime tsrun, compared with runc', { skip, timeout: 600_000 }, () => {
  let pm: Podman;
  const podman = (runtime: string, args: string[]) => pm.run(runtime, args);
  /** A podman command that runs CRIU: past CRIU_STEP_MS it is killed, and so is the criu it left behind. */
  const podmanCriu = (runtime: string, args: string[]) => {
    const r = pm.run(runtime, args, process.env, CRIU_STEP_MS);
    if (/ETIMEDOUT/.test(r.stderr)) {
      const killed = guard!.killAll();
      return { ...r, stderr: `${r.stderr}\ntimed out after ${CRIU_STEP_MS / 1000} s${killed.length ? `; killed criu (pids ${killed.join(', ')})` : ''}` };
    }
    return r;
  };
  const nameOf = (runtime: string) => `criu-${runtime}-${process.pid}`;

  before(() => {
    pm = new Podman('podman-criu', CGROUP_PARENT);
    pm.setUp(IMAGE);
  });

  after(async () => {
    // A hung checkpoint holds its container: its criu goes first.
    const { stuck } = (await guard?.reap()) ?? { stuck: [] };
    await pm?.cleanup();
    assert.deepEqual(stuck, [], 'criu outlived SIGKILL');
  });

  test('checkpoint, then restore: the counter goes on; the container is running again under the same name', async (t) => {
    const seen = await eachRuntime(async (rt, steps) => {
      const name = nameOf(rt.name);
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
      const cp = podmanCriu(rt.name, ['container', 'checkpoint', name]);
      steps.checkpoint = cp.code;
      assert.equal(cp.code, 0, `${rt.name} checkpoint: ${cp.stderr}`);
      steps.afterCheckpoint = podman(rt.name, ['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
      const rs = podmanCriu(rt.name, ['container', 'restore', name]);
      steps.restore = rs.code;
      assert.equal(rs.code, 0, `${rt.name} restore: ${rs.stderr}`);
      steps.afterRestore = podman(rt.name, ['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
      const a = count();
      await sleep(300);
      const b = count();
      t.diagnostic(`${rt.name}: counter ${before} → checkpoint, restore → ${a} → ${b}`);
      steps.goesOn = a >= before && b > a && b < before + 200;
      steps.rm = podman(rt.name, ['rm', '--force', '--time', '0', name]).code;
    }, async (rt) => {
      guard!.killAll();
      podman(rt.name, ['rm', '--force', '--time', '0', nameOf(rt.name)]);
    });
    assertSameAsRunc(t, seen, (runc) => {
      assert.equal(runc.failed, undefined, `runc's side failed: ${runc.failed}`);
      assert.equal(runc.afterCheckpoint, 'exited');
      assert.equal(runc.afterRestore, 'running');
      assert.equal(runc.goesOn, true);
    });
  });
});
