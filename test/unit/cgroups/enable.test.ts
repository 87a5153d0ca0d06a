// Unit tests for issue 14: on cgroup v2, create enables every controller of
// the root in each ancestor (src/cgroups/enable.ts), and a field whose
// controller the kernel refused says why; kernel memory limits are ignored
// with a warning (src/cgroups/ignored.ts). The cgroup files are in memory here,
// so the kernel's refusals (EBUSY, EINVAL) can be played.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enableControllers, type ControllerFiles } from '../../../src/cgroups/enable.js';
import { ignoredResourceWarnings } from '../../../src/cgroups/ignored.js';
import { planV1 } from '../../../src/cgroups/v1-writes.js';
import { planV2 } from '../../../src/cgroups/v2-writes.js';
import { CgroupError } from '../../../src/cgroups/errors.js';
import type { CgroupView, PlanContext } from '../../../src/cgroups/writes.js';

const errno = (code: string) => Object.assign(new Error(`${code}: refused, write`), { code });

/** A v2 tree of subtree_control files; refuse(dir, controller) plays the kernel's refusals. */
function fakeFiles(refuse: (dir: string, controller: string) => string | undefined = () => undefined) {
  const subtree = new Map<string, Set<string>>();
  const writes: [string, string][] = [];
  const files: ControllerFiles = {
    read(file) {
      if (file === '/cg/cgroup.controllers') return 'cpuset cpu io memory pids\n';
      if (file.endsWith('/cgroup.procs')) return file === '/cg/busy/cgroup.procs' ? '123\n' : '';
      return [...(subtree.get(file.replace(/\/cgroup\.subtree_control$/, '')) ?? [])].join(' ') + '\n';
    },
    write(file, value) {
      const dir = file.replace(/\/cgroup\.subtree_control$/, '');
      writes.push([dir, value]);
      const cs = value.split(' ').map((w) => w.slice(1));
      // The kernel applies a write whole or not at all.
      for (const c of cs) {
        const code = refuse(dir, c);
        if (code) throw errno(code);
      }
      const set = subtree.get(dir) ?? new Set();
      cs.forEach((c) => set.add(c));
      subtree.set(dir, set);
    },
  };
  return { files, subtree, writes };
}

test('v2 enable: every controller of the root, in the root and each ancestor, one batch each; the leaf none', () => {
  const f = fakeFiles();
  f.subtree.set('/cg', new Set(['memory']));
  const refused = enableControllers('/cg', '/cg/tsrun/r@1/c1', f.files);
  assert.deepEqual([...refused], []);
  assert.deepEqual(f.writes, [
    ['/cg', '+cpuset +cpu +io +pids'],
    ['/cg/tsrun', '+cpuset +cpu +io +memory +pids'],
    ['/cg/tsrun/r@1', '+cpuset +cpu +io +memory +pids'],
  ]);
  // All enabled already: nothing is written (many creates at once write nothing host-wide).
  f.writes.length = 0;
  enableControllers('/cg', '/cg/tsrun/r@1/c2', f.files);
  assert.deepEqual(f.writes, []);
});

test('v2 enable: a refused batch goes one by one; the refusal is kept with the kernel\'s reason and the fix', () => {
  // cpu is refused at the root (realtime threads outside it); /cg/mid refuses memory (EBUSY).
  const f = fakeFiles((dir, c) => (dir === '/cg' && c === 'cpu' ? 'EINVAL' : dir === '/cg/mid' && c === 'memory' ? 'EBUSY' : undefined));
  const refused = enableControllers('/cg', '/cg/mid/c1', f.files);
  assert.deepEqual([...f.subtree.get('/cg')!].sort(), ['cpuset', 'io', 'memory', 'pids']);
  assert.deepEqual([...f.subtree.get('/cg/mid')!].sort(), ['cpuset', 'io', 'pids']);
  assert.deepEqual([...refused.keys()].sort(), ['cpu', 'memory']);
  assert.match(refused.get('cpu')!, /refused "\+cpu" in \/cg\/cgroup\.subtree_control: EINVAL.*realtime \(SCHED_FIFO or SCHED_RR\) threads/);
  assert.match(refused.get('memory')!, /"\+memory" cannot be enabled in \/cg\/mid\/cgroup\.subtree_control: \/cg\/mid holds processes.*"no internal processes" rule/);
  // cpu, refused at the root, is not tried again below it.
  assert.ok(!f.writes.some(([d, v]) => d === '/cg/mid' && v.includes('+cpu ')));
});

test('v2 enable: a parent other than the root that holds processes is not written at all; every controller is refused with the reason', () => {
  // Enabling even a threaded controller there (cpu, pids) would make the container's cgroup "domain invalid".
  const f = fakeFiles();
  const refused = enableControllers('/cg', '/cg/busy/c1', f.files);
  assert.deepEqual(f.writes, [['/cg', '+cpuset +cpu +io +memory +pids']]);
  assert.deepEqual([...refused.keys()], ['cpuset', 'cpu', 'io', 'memory', 'pids']);
  assert.match(refused.get('memory')!, /\/cg\/busy holds processes, and a cgroup other than the root that holds processes cannot enable controllers for its children \(cgroup v2's "no internal processes" rule\); move its processes into a child cgroup/);
});

const ctx = (view: CgroupView): PlanContext => ({ view, update: false, kernel: [6, 18], hugepageSizes: ['2MB'] });

test('v2 plan: a field whose controller create could not enable names the kernel\'s reason; one it never tried says where to look', () => {
  const view: CgroupView = {
    hasController: (c) => c === 'cpu',
    whyMissing: (c) => (c === 'memory' ? 'the kernel refused "+memory" in /cg/busy/cgroup.subtree_control: EBUSY (...)' : undefined),
    has: () => true,
    read: () => 'max',
  };
  assert.throws(() => planV2({ memory: { limit: 1 << 24 } }, ctx(view), true), (e: unknown) => {
    assert.ok(e instanceof CgroupError);
    assert.match(e.message, /\/linux\/resources\/memory: the memory controller: the memory controller is not available to the container's cgroup: the kernel refused "\+memory" in \/cg\/busy/);
    return true;
  });
  assert.throws(() => planV2({ pids: { limit: 5 } }, ctx(view), true), /the pids controller is not available to the container's cgroup: it is missing from cgroup\.controllers \(the root cgroup lacks it/);
});

test('memory.kernel and kernelTCP: ignored on v1 and v2 (nothing written, nothing refused), with one warning naming each field', () => {
  const v1: CgroupView = { hasController: () => true, has: () => true, read: () => '0' };
  const v2: CgroupView = { hasController: () => true, has: () => true, read: () => 'max' };
  for (const r of [{ memory: { kernel: 1 << 20 } }, { memory: { kernelTCP: 1 << 20 } }, { memory: { kernel: -1, kernelTCP: 1 << 20 } }]) {
    assert.deepEqual(planV1(r, { ...ctx(v1), kernel: [5, 4] }, true).filter((op) => op.kind === 'write' && op.controller === 'memory'), [], 'an old v1 kernel: not written either (runc 1.1)');
    assert.deepEqual(planV1(r, ctx(v1), true).filter((op) => op.kind === 'write' && op.controller === 'memory'), []);
    assert.deepEqual(planV2(r, ctx(v2), true).filter((op) => op.kind === 'write'), []);
  }
  assert.deepEqual(ignoredResourceWarnings(undefined), []);
  assert.deepEqual(ignoredResourceWarnings({ memory: { limit: 1 } }), []);
  const w = ignoredResourceWarnings({ memory: { kernel: 1 << 20, kernelTCP: 0 } });
  assert.equal(w.length, 2);
  assert.match(w[0], /^config\.json: \/linux\/resources\/memory\/kernel: kernel memory limits are ignored/);
  assert.match(w[1], /^config\.json: \/linux\/resources\/memory\/kernelTCP: kernel memory limits are ignored/);
});
