// config-linux.md "Memory": kernel and kernelTCP are NOT RECOMMENDED, Linux
// 5.16 and later enforce neither, and runc has ignored both since 1.0 (issue
// 14, item 2). tsrun ignores them too, on v1 and v2, with a warning naming
// each field, and runs the container with the rest of its limits.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cgroupParentOf } from '../../src/cgroups/paths.js';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId } from './harness.js';

describe('config-linux.md "Memory": kernel and kernelTCP', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  after(() => rt.cleanup());

  test('config-linux.md "Memory": kernel and kernelTCP are ignored with a warning naming each; the memory limit is in force', () => {
    const id = uniqueId('kmem');
    const bundle = makeBundle(['sleep', '30'], (c) => (c.linux.resources = { memory: { limit: 64 << 20, kernel: 16 << 20, kernelTCP: 8 << 20 } }));
    const r = rt.run(['create', '--bundle', bundle, id]);
    assert.equal(r.code, 0, r.stderr);
    try {
      assert.match(r.stderr, /\/linux\/resources\/memory\/kernel: kernel memory limits are ignored/);
      assert.match(r.stderr, /\/linux\/resources\/memory\/kernelTCP: kernel memory limits are ignored/);
      const layout = hostLayout();
      const mount = layout.mode === 'v2' ? layout.unified! : layout.v1.find((h) => h.controllers.includes('memory'))!.mount;
      const dir = path.join(mount, cgroupParentOf(rt.root), id);
      const file = layout.mode === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
      assert.equal(fs.readFileSync(path.join(dir, file), 'utf8').trim(), String(64 << 20));
      if (fs.existsSync(path.join(dir, 'memory.kmem.tcp.limit_in_bytes'))) {
        // An older v1 kernel still has the file: left at its default, as runc 1.1 leaves it.
        assert.notEqual(fs.readFileSync(path.join(dir, 'memory.kmem.tcp.limit_in_bytes'), 'utf8').trim(), String(8 << 20));
      }
    } finally {
      assert.equal(rt.run(['delete', '--force', id]).code, 0);
    }
  });
});
