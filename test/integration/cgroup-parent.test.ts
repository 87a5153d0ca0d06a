// The parent cgroups tsrun makes (issue 14, item 6): /tsrun in every
// hierarchy, and /tsrun/<name>@<hash> for each --root other than the
// default. They go when empty: after the last container of a root is
// deleted, and after a failed create that leaves its root's parent empty,
// whoever made it. /tsrun itself is shared with every other tsrun on this
// host (other tests run at the same time), so it is checked strictly only
// in the test VM (cgroups-v2-fresh-vm.test.ts); the per-root parent is the
// test's own and is checked here in each hierarchy.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cgroupParentOf } from '../../src/cgroups/paths.js';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId } from './harness.js';

const mounts = () => {
  const l = hostLayout();
  return [...(l.mode === 'v2' ? [] : l.v1.map((h) => h.mount)), ...(l.unified ? [l.unified] : [])];
};

describe('the parent cgroups: removed when empty', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const parent = cgroupParentOf(rt.root);
  const leftovers = () => mounts().map((m) => path.join(m, parent)).filter((d) => fs.existsSync(d));
  after(() => {
    rt.cleanup();
    assert.deepEqual(leftovers(), [], 'the per-root parent is left');
  });

  test('delete of the last container of a root removes its parent /tsrun/<name>@<hash> in every hierarchy', () => {
    const ids = [uniqueId('par'), uniqueId('par'), uniqueId('par')];
    const bundle = makeBundle(['sleep', '30'], (c) => (c.linux.resources = { pids: { limit: 50 } }));
    for (const id of ids) assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
    assert.equal(leftovers().length, mounts().length, 'each hierarchy has the parent while containers are there');
    for (const id of ids.slice(0, 2)) assert.equal(rt.run(['delete', '--force', id]).code, 0);
    assert.equal(leftovers().length, mounts().length, 'a parent in use stays');
    assert.equal(rt.run(['delete', '--force', ids[2]]).code, 0);
    assert.deepEqual(leftovers(), []);
  });

  test('a failed create removes its root\'s parent when it is empty, also when another create made it', () => {
    // As if a concurrent create had made the parents and its container were deleted since.
    for (const m of mounts()) fs.mkdirSync(path.join(m, parent), { recursive: true });
    const id = uniqueId('parfail');
    // Refused by the kernel once the cgroup is made: no such CPU.
    const r = rt.run(['create', '--bundle', makeBundle(['true'], (c) => (c.linux.resources = { cpu: { cpus: '4095' } })), id]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\/linux\/resources\/cpu\/cpus/);
    assert.deepEqual(leftovers(), []);
  });
});
