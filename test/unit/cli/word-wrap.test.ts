import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wordWrap } from '../../../src/cli/word-wrap.js';

test('wordWrap breaks at spaces, never inside a word that fits a line', () => {
  assert.equal(wordWrap('An OCI runtime-spec container runtime with runc\'s interface.', 36), 'An OCI runtime-spec container\nruntime with runc\'s interface.');
  assert.equal(wordWrap('a bb ccc', 4), 'a bb\nccc');
});

test('wordWrap keeps line breaks, cuts only a word longer than a line, and leaves text alone without a width', () => {
  assert.equal(wordWrap('one two\nthree', 5), 'one\ntwo\nthree');
  assert.equal(wordWrap('abcdefgh ij', 3), 'abc\ndef\ngh\nij');
  assert.equal(wordWrap('a b c', 0), 'a b c');
});
