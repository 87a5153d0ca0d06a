// The addon refuses an argument of the wrong type with a TypeError before any
// syscall (native/binding.cc int_arg): a pid that is not a number must never
// become waitpid(-1), which would reap any child of the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../../src/core/native.js';

test('a non-number pid or fd is a TypeError naming the argument', () => {
  const core = native() as unknown as Record<string, (...args: unknown[]) => unknown>;
  assert.throws(() => core.waitPid('42', false), { name: 'TypeError', message: 'pid must be a number' });
  assert.throws(() => core.flock(undefined, true, false), { name: 'TypeError', message: 'fd must be a number' });
  assert.throws(() => core.channelRecv('x'), { name: 'TypeError', message: 'fd must be a number' });
});
