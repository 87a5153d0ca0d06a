// The cgroup-attach warm-up (runtime/cgroup-warm.ts): which cgroup.procs it
// rewrites on each kind of host (only this process's own cgroup, never one on
// pure v2), and that what it starts is ended once, through a recording fake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parseLayout } from '../../../src/cgroups/hierarchy.js';
import { takeLauncherWarmUp, warmCgroupAttach, warmUpTarget, WARM_CAP_MS, WARM_ELSEWHERE, WARM_INTERVAL_MS } from '../../../src/runtime/cgroup-warm.js';

const line = (id: number, mount: string, fstype: string, opts: string) => `${id} 20 0:${id} / ${mount} rw,relatime - ${fstype} cgroup ${opts}`;
const HYBRID = parseLayout([
  line(30, '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'rw,cpuacct,cpu'),
  line(31, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
  line(32, '/sys/fs/cgroup/systemd', 'cgroup', 'rw,xattr,name=systemd'),
  line(33, '/sys/fs/cgroup/unified', 'cgroup2', 'rw,nsdelegate'),
].join('\n'));
const V1 = parseLayout([
  line(30, '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'rw,cpuacct,cpu'),
  line(31, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
].join('\n'));
const V2 = parseLayout(line(30, '/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate'));

const SELF = '5:memory:/mem/x\n4:cpu,cpuacct:/cpu/x\n1:name=systemd:/user.slice/s.scope\n0::/user.slice/s.scope\n';

test('hybrid: this process\'s cgroup in the unified hierarchy', () => {
  assert.equal(HYBRID.mode, 'hybrid');
  assert.equal(warmUpTarget(HYBRID, SELF), '/sys/fs/cgroup/unified/user.slice/s.scope/cgroup.procs');
  assert.equal(warmUpTarget(HYBRID, '4:memory:/\n0::/\n'), '/sys/fs/cgroup/unified/cgroup.procs');
});

test('v1: the first mounted hierarchy /proc/self/cgroup names, its controllers in any order', () => {
  assert.equal(V1.mode, 'v1');
  assert.equal(warmUpTarget(V1, SELF), '/sys/fs/cgroup/cpu,cpuacct/cpu/x/cgroup.procs');
  assert.equal(warmUpTarget(V1, '7:memory:/m\n'), '/sys/fs/cgroup/memory/m/cgroup.procs');
  // No line for a mounted hierarchy: no guess, since "0" in another cgroup would move this process.
  assert.equal(warmUpTarget(V1, '9:pids:/p\n'), undefined);
  assert.equal(warmUpTarget(V1, ''), undefined);
});

test('pure v2: none (the container is cloned into its cgroup, no attach waits)', () => {
  assert.equal(V2.mode, 'v2');
  assert.equal(warmUpTarget(V2, '0::/user.slice/s.scope\n'), undefined);
});

/** The two calls warmCgroupAttach makes, recorded; start answers `starts`. */
function fakeCore(starts: boolean) {
  const calls: unknown[][] = [];
  return {
    calls,
    cgroupWarmStart: (...args: unknown[]) => (calls.push(['start', ...args]), starts),
    cgroupWarmStop: () => void calls.push(['stop']),
  };
}

test('warmCgroupAttach starts the thread on the target and ends it once, however often it is told to', () => {
  const core = fakeCore(true);
  const end = warmCgroupAttach(core, () => '/sys/fs/cgroup/unified/cgroup.procs', undefined);
  assert.deepEqual(core.calls, [['start', '/sys/fs/cgroup/unified/cgroup.procs', WARM_INTERVAL_MS, WARM_CAP_MS, undefined]]);
  end();
  end();
  assert.deepEqual(core.calls.slice(1), [['stop']]);
});

test('warmCgroupAttach: no target, or a thread that did not start, leaves nothing to end', () => {
  const none = fakeCore(true);
  warmCgroupAttach(none, () => undefined, undefined)();
  assert.deepEqual(none.calls, []);
  const refused = fakeCore(false);
  warmCgroupAttach(refused, () => '/x/cgroup.procs', undefined)();
  assert.deepEqual(refused.calls, [['start', '/x/cgroup.procs', WARM_INTERVAL_MS, WARM_CAP_MS, undefined]]);
});

test("the launcher's warm-up: its fd is taken once, and only a plain number above stdio", () => {
  const env: NodeJS.ProcessEnv = { TSRUN_WARM_FD: '7', PATH: '/bin' };
  assert.equal(takeLauncherWarmUp(env), 7);
  assert.deepEqual(env, { PATH: '/bin' });
  assert.equal(takeLauncherWarmUp(env), undefined);
  for (const bad of ['', '2', '-1', '7x', ' 7', '0x7', 'Elsewhere']) assert.equal(takeLauncherWarmUp({ TSRUN_WARM_FD: bad }), undefined, bad);
  const elsewhere: NodeJS.ProcessEnv = { TSRUN_WARM_FD: 'elsewhere' };
  assert.equal(takeLauncherWarmUp(elsewhere), WARM_ELSEWHERE);
  assert.equal(takeLauncherWarmUp(elsewhere), undefined, 'taken once');
});

test("another process's warm-up running (elsewhere): no thread starts, and the host is not even looked at", () => {
  const core = fakeCore(true);
  let looked = 0;
  const target = () => (looked++, '/sys/fs/cgroup/unified/cgroup.procs');
  warmCgroupAttach(core, target, WARM_ELSEWHERE)();
  assert.deepEqual(core.calls, []);
  assert.equal(looked, 0);
  // Control: the same call without it starts one.
  warmCgroupAttach(core, target, undefined)();
  assert.deepEqual(core.calls.map((c) => c[0]), ['start', 'stop']);
  assert.equal(looked, 1);
});

test("the launcher's warm-up is handed to the thread, or closed at once where none starts", () => {
  const core = fakeCore(true);
  warmCgroupAttach(core, () => '/sys/fs/cgroup/unified/cgroup.procs', 9);
  assert.deepEqual(core.calls, [['start', '/sys/fs/cgroup/unified/cgroup.procs', WARM_INTERVAL_MS, WARM_CAP_MS, 9]]);
  // No target (pure v2): nothing warms, and the pipe end is closed so that the launcher's stops.
  const fd = fs.openSync('/dev/null', 'r');
  const none = fakeCore(true);
  warmCgroupAttach(none, () => undefined, fd)();
  assert.deepEqual(none.calls, []);
  assert.throws(() => fs.fstatSync(fd), { code: 'EBADF' });
});
