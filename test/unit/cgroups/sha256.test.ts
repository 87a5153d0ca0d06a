import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../../src/cgroups/sha256.js';

test('sha256Hex is node:crypto\'s SHA-256 at every length across the block and padding edges, and of non-ASCII text', () => {
  const hex = (s: string) => createHash('sha256').update(s).digest('hex');
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  for (let n = 0; n <= 300; n++) {
    const s = Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7 + n) % 90))).join('');
    assert.equal(sha256Hex(s), hex(s), `length ${n}`);
  }
  for (const s of ['/run/containerd/runc/k8s.io', '/tmp/é ü/ß', '/r\u{1F600}oot', 'x'.repeat(5000)]) assert.equal(sha256Hex(s), hex(s), s);
});
