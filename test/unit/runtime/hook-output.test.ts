// Unit tests for how a failed hook is worded (src/runtime/hooks.ts
// outputExcerpt, describeFailure, and initHookFailure for the container's
// hooks, whose outcome tsrun-init sends back as data; test/integration/
// hook-messages.test.ts runs them), and the one output limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../src/spec/types.js';
import { describeFailure, HOOK_OUTPUT_LIMIT, initHookFailure, outputExcerpt, planHooks } from '../../../src/runtime/hooks.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

test('one output limit: HOOK_OUTPUT_LIMIT goes to tsrun-init in the plan, and init has no number of its own', () => {
  const plan = planHooks({ ociVersion: '1.3.0', hooks: { createContainer: [{ path: '/bin/true' }] } } as Config);
  assert.equal(plan.outputLimit, HOOK_OUTPUT_LIMIT);
  const hooksCc = readFileSync(join(repoRoot(), 'native', 'init', 'hooks.cc'), 'utf8');
  assert.match(hooksCc, /output_limit/, 'hooks.cc reads the limit from the plan');
  assert.doesNotMatch(hooksCc, /exited with status|was killed by signal|could not be executed/, 'hooks.cc words nothing: hooks.ts does');
  assert.doesNotMatch(readFileSync(join(repoRoot(), 'native', 'protocol.h'), 'utf8'), /kHookOutputLimit/);
});

test('initHookFailure words init\'s outcome of a container hook as node\'s hooks are worded', () => {
  const base = { configPath: '/hooks/createContainer/0', path: '/bin/h', setupErrno: 0, execErrno: 0, timedOut: 0, timeout: 3, signal: 0, status: 0, afterPivot: 0, uid: 1000, gid: 1000, stdout: Buffer.from('out\n'), stdoutTotal: 4, stderr: Buffer.alloc(0), stderrTotal: 0 };
  const said = (o: object) => initHookFailure({ ...base, ...o }).message;
  assert.equal(said({ status: 3 }), 'config.json: /hooks/createContainer/0: hook /bin/h exited with status 3, stdout: out');
  assert.equal(said({ signal: 9 }), 'config.json: /hooks/createContainer/0: hook /bin/h was killed by signal SIGKILL, stdout: out');
  assert.equal(said({ timedOut: 1 }), 'config.json: /hooks/createContainer/0: hook /bin/h did not finish within its timeout of 3s and was killed, stdout: out');
  assert.equal(said({ execErrno: 2, stdout: Buffer.alloc(0), stdoutTotal: 0 }), 'config.json: /hooks/createContainer/0: hook /bin/h could not be executed: no such file or directory');
  assert.equal(said({ execErrno: 13, afterPivot: 1, stdout: Buffer.alloc(0), stdoutTotal: 0 }),
    'config.json: /hooks/createContainer/0: hook /bin/h could not be executed: permission denied (startContainer hooks run inside the container as uid 1000 gid 1000: the path and every directory above it must be reachable there by that user)');
  assert.equal(said({ setupErrno: 24 }), 'config.json: /hooks/createContainer/0: cannot start hook /bin/h: too many open files');
  // Output past the limit, as init sends it: the head and the whole length.
  assert.equal(said({ status: 1, stdout: Buffer.alloc(HOOK_OUTPUT_LIMIT, 0x61), stdoutTotal: 1000 }),
    `config.json: /hooks/createContainer/0: hook /bin/h exited with status 1, stdout: ${'a'.repeat(HOOK_OUTPUT_LIMIT)}... (${1000 - HOOK_OUTPUT_LIMIT} more bytes)`);
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
