// config-linux.md "pids": the smallest limit, 1, runs a container as runc
// runs it (issue 12, item 13). tsrun-init's stage 0 is moved into the cgroup
// and then clones the container's init, so pids.max is written only once
// stage 0 has exited; the limit is in force from then on.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cgroupParentOf } from '../../src/cgroups/paths.js';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { makeBundle, sideBySide, skipUnlessRoot, uniqueId } from './harness.js';

describe('config-linux.md "pids": limit 1', { skip: skipUnlessRoot }, () => {
  const { rt, runc, cleanup } = sideBySide();
  after(() => cleanup());
  const limitOne = (c: Record<string, any>) => (c.linux.resources = { pids: { limit: 1 } });

  test('config-linux.md "pids": with limit 1, `true` runs and exits 0, as under runc', () => {
    const bundle = makeBundle(['true'], limitOne);
    for (const r of [rt, runc]) {
      if (!r) continue;
      const res = r.run(['run', '--bundle', bundle, uniqueId('pids1')]);
      assert.equal(res.code, 0, `${r.bin}: ${res.stderr}`);
    }
  });

  test('config-linux.md "pids": with limit 1 the container cannot fork, as under runc', () => {
    const bundle = makeBundle(['sh', '-c', 'true & wait; echo forked'], limitOne);
    const results = [rt, runc].filter((r) => r !== undefined).map((r) => r.run(['run', '--bundle', bundle, uniqueId('pidsfork')]));
    for (const res of results) {
      assert.match(res.stderr, /can't fork: Resource temporarily unavailable/);
      assert.doesNotMatch(res.stdout, /forked/);
    }
    if (results.length === 2) assert.equal(results[0].code, results[1].code, 'the same exit status as runc');
  });

  test('config-linux.md "pids": a limit the kernel refuses, written that late, still fails create and leaves nothing', () => {
    const id = uniqueId('pidsbad');
    const r = rt.run(['create', '--bundle', makeBundle(['true'], (c) => (c.linux.resources = { pids: { limit: 1e10 } })), id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/linux\/resources\/pids\/limit: the pids controller: cannot write \\?"10000000000\\?" to .*pids\.max: EINVAL/);
    assert.deepEqual(rt.ids(), []);
    const l = hostLayout();
    for (const mount of [...l.v1.map((h) => h.mount), ...(l.unified ? [l.unified] : [])]) {
      const d = path.join(mount, cgroupParentOf(rt.root), id);
      assert.ok(!fs.existsSync(d), `${d} left behind`);
    }
  });
});
