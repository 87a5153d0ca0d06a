// Unit tests for the host-mount record of a container without a mount namespace (src/runtime/host-mounts.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostMounts } from '../../../src/runtime/host-mounts.js';

test('the record: one mount a line, newest last; a torn or foreign line is skipped', () => {
  const text = '70 2147589306 /mounts/0\n71 0 /mounts/1\n72 21475\n';
  assert.deepEqual(parseHostMounts(text), [
    { mntId: 70, uniqueId: '2147589306', configPath: '/mounts/0' },
    { mntId: 71, uniqueId: '0', configPath: '/mounts/1' },
  ]);
  assert.deepEqual(parseHostMounts(''), []);
});
