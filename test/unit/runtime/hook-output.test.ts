// Unit tests for how a failed hook's output is quoted (src/runtime/hooks.ts
// outputExcerpt; native/init/hooks.cc does the same for the container's hooks,
// which test/integration/hook-messages.test.ts checks), and that the one limit
// is the same number in native/protocol.h and src/runtime/init-protocol.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFailure, outputExcerpt } from '../../../src/runtime/hooks.js';
import { HOOK_OUTPUT_LIMIT } from '../../../src/runtime/init-protocol.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

test('protocol.h kHookOutputLimit and init-protocol.ts HOOK_OUTPUT_LIMIT are one number', () => {
  const header = readFileSync(join(repoRoot(), 'native', 'protocol.h'), 'utf8');
  const m = /constexpr\s+unsigned\s+kHookOutputLimit\s*=\s*(\d+)\s*;/.exec(header);
  assert.ok(m, 'protocol.h declares kHookOutputLimit');
  assert.equal(Number(m[1]), HOOK_OUTPUT_LIMIT);
  // init's messages are formatted in 1 KB buffers: both streams and the words must fit.
  assert.ok(HOOK_OUTPUT_LIMIT <= 256);
  const hooksCc = readFileSync(join(repoRoot(), 'native', 'init', 'hooks.cc'), 'utf8');
  assert.match(hooksCc, /kOutputLimit = kHookOutputLimit;/, 'hooks.cc takes its limit from protocol.h');
});

test('outputExcerpt: short output as it is, trailing whitespace cut', () => {
  assert.equal(outputExcerpt('out\n'), 'out');
  assert.equal(outputExcerpt(' \n\t\r'), '');
  assert.equal(outputExcerpt('héllo wörld'), 'héllo wörld');
});

test('outputExcerpt: NUL, escape sequences and line breaks are escaped, so the error stays one plain line', () => {
  assert.equal(outputExcerpt('a\u0000b\u001b[31mred\\x\nnext\tcol\r\u007f'), 'a\\x00b\\x1b[31mred\\\\x\\nnext\\tcol\\r\\x7f');
});

test('outputExcerpt: NUL-filled or huge output is cut to the limit and says how much was left out', () => {
  const zeros = Buffer.alloc(5000);
  const excerpt = outputExcerpt({ head: zeros.subarray(0, HOOK_OUTPUT_LIMIT), total: zeros.length });
  const kept = Math.floor(HOOK_OUTPUT_LIMIT / 4);
  assert.equal(excerpt, `${'\\x00'.repeat(kept)}... (${5000 - kept} more bytes)`);
  const big = outputExcerpt('x'.repeat(1_000_000));
  assert.equal(big, `${'x'.repeat(HOOK_OUTPUT_LIMIT)}... (${1_000_000 - HOOK_OUTPUT_LIMIT} more bytes)`);
  // The escaped text never goes past the limit, even when an escape would straddle it.
  for (let pad = 0; pad < 4; pad++) {
    const text = outputExcerpt(`${'y'.repeat(HOOK_OUTPUT_LIMIT - pad)}\u0001zzz`);
    assert.ok(text.split('...')[0]!.length <= HOOK_OUTPUT_LIMIT, text);
  }
});

test('describeFailure quotes both streams through outputExcerpt', () => {
  assert.equal(
    describeFailure({ status: 2 }, 'a\u0000b\n', { head: Buffer.alloc(HOOK_OUTPUT_LIMIT, 0x41), total: 10_000 }),
    `exited with status 2, stdout: a\\x00b, stderr: ${'A'.repeat(HOOK_OUTPUT_LIMIT)}... (${10_000 - HOOK_OUTPUT_LIMIT} more bytes)`,
  );
});
