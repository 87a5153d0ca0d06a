// Two ways a config reached the host, found by the config fuzz
// (test/integration/config-fuzz.test.ts): a uid or gid of 4294967295, which
// setresuid takes as "leave unchanged" (the process stayed root), and a
// sysctl in a joined network or ipc namespace that is the host's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, Process } from '../../../src/spec/types.js';
import { planProcess } from '../../../src/runtime/process-plan.js';
import { planSysctl } from '../../../src/runtime/sysctl.js';
import type { HostFacts } from '../../../src/runtime/host.js';
import { PlanError } from '../../../src/core/errors.js';

const HOST: HostFacts = { lastCap: 40, capEff: (1n << 41n) - 1n, hardLimits: Array(16).fill(Infinity), apparmorEnabled: false, selinuxEnabled: false };
const plan = (user: Process['user']) =>
  planProcess({ cwd: '/', args: ['sh'], user }, { ociVersion: '1.3.0' } as Config, { host: HOST, warn: () => undefined });

function refusedAt(fn: () => unknown, configPath: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PlanError, `a PlanError, not ${String(e)}`);
    assert.ok(e.message.startsWith(`config.json: ${configPath}: `), e.message);
    assert.match(e.message, reason);
    return true;
  });
}

test('uid, gid and additionalGids above 2^31-1 are refused by name; (uid_t)-1 says why', () => {
  refusedAt(() => plan({ uid: 4294967295, gid: 0 }), '/process/user/uid', /from 0 to 2147483647, not 4294967295 \(\(uid_t\)-1 would leave the process root\)/);
  refusedAt(() => plan({ uid: 0, gid: 4294967295 }), '/process/user/gid', /not 4294967295/);
  refusedAt(() => plan({ uid: 0, gid: 0, additionalGids: [1, 2147483648] }), '/process/user/additionalGids/1', /not 2147483648/);
  const ok = plan({ uid: 2147483647, gid: 65534, additionalGids: [0, 2147483647] });
  assert.equal(ok.uid, 2147483647);
  assert.deepEqual(ok.additionalGids, [0, 2147483647]);
});

const withSysctl = (namespaces: Array<{ type: string; path?: string }>, sysctl: Record<string, string>) =>
  ({ ociVersion: '1.3.0', linux: { namespaces, sysctl } }) as unknown as Config;

test("a sysctl in a joined namespace that is tsrun's own (the host's) is refused", () => {
  refusedAt(() => planSysctl(withSysctl([{ type: 'network', path: '/proc/self/ns/net' }], { 'net.ipv4.ip_forward': '1' })),
    '/linux/sysctl/net.ipv4.ip_forward', /host's network namespace: linux.namespaces joins \/proc\/self\/ns\/net/);
  refusedAt(() => planSysctl(withSysctl([{ type: 'ipc', path: `/proc/${process.pid}/ns/ipc` }], { 'kernel.shmmax': '1' })),
    '/linux/sysctl/kernel.shmmax', /host's ipc namespace/);
  // A new namespace, or a path that is no namespace of ours (joining it fails later, by name), pass.
  assert.equal(planSysctl(withSysctl([{ type: 'network' }], { 'net.ipv4.ip_forward': '1' })).length, 1);
  assert.equal(planSysctl(withSysctl([{ type: 'network', path: '/nonexistent/ns' }], { 'net.ipv4.ip_forward': '1' })).length, 1);
  assert.equal(planSysctl(withSysctl([{ type: 'network', path: '/proc/self/ns/ipc' }], { 'net.ipv4.ip_forward': '1' })).length, 1);
});
