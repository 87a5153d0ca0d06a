// Unit tests for the kernel's limits checked at plan time
// (src/runtime/kernel-limits.ts, through planProcess): an argument or
// environment string above MAX_ARG_STRLEN and more groups than NGROUPS_MAX are
// refused naming the field, before any process exists. No root, no syscalls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, Process } from '../../../src/spec/types.js';
import { planProcess } from '../../../src/runtime/process-plan.js';
import type { HostFacts } from '../../../src/runtime/host.js';
import { MAX_ARG_STRLEN } from '../../../src/runtime/kernel-limits.js';

const HOST: HostFacts = { lastCap: 40, capEff: (1n << 41n) - 1n, hardLimits: Array(16).fill(Infinity), apparmorEnabled: false, selinuxEnabled: false };
const plan = (p: Partial<Process>, host: Partial<HostFacts> = {}) =>
  planProcess({ cwd: '/', args: ['sh'], ...p }, { ociVersion: '1.3.0' } as Config, { host: { ...HOST, ...host }, warn: () => {} });

test('an env string the kernel would refuse (E2BIG) fails the plan, naming /process/env/N', () => {
  const big = `BIG=${'x'.repeat(MAX_ARG_STRLEN)}`;
  assert.throws(() => plan({ env: ['PATH=/bin', big] }), /config\.json: \/process\/env\/1: is 131076 bytes; .*MAX_ARG_STRLEN.*argument list too long/);
  // The longest string execve takes: MAX_ARG_STRLEN with its NUL.
  const longest = `A=${'x'.repeat(MAX_ARG_STRLEN - 3)}`;
  assert.equal(plan({ env: [longest] }).env[0], longest);
});

test('an argument the kernel would refuse fails the plan, naming /process/args/N; UTF-8 bytes are counted', () => {
  assert.throws(() => plan({ args: ['sh', '-c', 'é'.repeat(MAX_ARG_STRLEN / 2)] }), /\/process\/args\/2: is 131072 bytes/);
});

test('more additionalGids than NGROUPS_MAX fail the plan, naming /process/user/additionalGids', () => {
  const gids = (n: number) => Array.from({ length: n }, (_, i) => i);
  assert.throws(() => plan({ user: { uid: 0, gid: 0, additionalGids: gids(65537) } }), /\/process\/user\/additionalGids: lists 65537 groups; the kernel allows at most 65536/);
  assert.equal(plan({ user: { uid: 0, gid: 0, additionalGids: gids(65536) } }).additionalGids.length, 65536);
  // The host's own ngroups_max is the ceiling when it is known.
  assert.throws(() => plan({ user: { uid: 0, gid: 0, additionalGids: gids(33) } }, { ngroupsMax: 32 }), /at most 32 \(NGROUPS_MAX/);
});
