// config-linux.md "Memory": kernel and kernelTCP are NOT RECOMMENDED, Linux
// 5.16 and later enforce neither, and runc has ignored both since 1.0 (issue
// 14, item 2). tsrun ignores them too, on v1 and v2, with a warning naming
// each field, and runs the container with the rest of its limits; `update`
// takes runc's --kernel-memory flags and ignores them the same way.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cgroupParentOf } from '../../src/cgroups/paths.js';
import { hostLayout } from '../../src/cgroups/hierarchy.js';
import { hasRunc, makeBundle, Runtime, skipUnlessRoot, uniqueId } from './harness.js';

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

  test('runc update --kernel-memory and --kernel-memory-tcp are taken and ignored with a warning naming the flag, as runc 1.1 does', () => {
    const id = uniqueId('kmemup');
    const bundle = makeBundle(['sleep', '30'], (c) => (c.linux.resources = { memory: { limit: 64 << 20 } }));
    assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
    try {
      const r = rt.run(['update', '--kernel-memory', '16m', '--kernel-memory-tcp', '8m', '--memory', '96m', id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /--kernel-memory: kernel memory limits are ignored/);
      assert.match(r.stderr, /--kernel-memory-tcp: kernel memory limits are ignored/);
      const layout = hostLayout();
      const mount = layout.mode === 'v2' ? layout.unified! : layout.v1.find((h) => h.controllers.includes('memory'))!.mount;
      const file = layout.mode === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
      assert.equal(fs.readFileSync(path.join(mount, cgroupParentOf(rt.root), id, file), 'utf8').trim(), String(96 << 20), 'the rest of the update is in force');
      const bad = rt.run(['update', '--kernel-memory', 'lots', id]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /invalid value for kernel-memory: invalid size: 'lots'/);
    } finally {
      assert.equal(rt.run(['delete', '--force', id]).code, 0);
    }
  });

  test('runc 1.1.5 takes the same flags, warning that kernel memory is ignored', { skip: hasRunc ? false : 'runc is not installed' }, () => {
    const runc = new Runtime('runc', 'runc-test-root-');
    const id = uniqueId('kmemrunc');
    try {
      assert.equal(runc.run(['run', '-d', '--bundle', makeBundle(['sleep', '30']), id]).code, 0);
      const r = runc.run(['update', '--kernel-memory', '16m', '--kernel-memory-tcp', '8m', id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Kernel memory settings are ignored/);
    } finally {
      runc.run(['delete', '--force', id]);
      runc.cleanup();
    }
  });
});
