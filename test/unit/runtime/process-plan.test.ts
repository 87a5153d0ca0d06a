// Unit tests for planning config.process (src/runtime/process-plan.ts,
// capabilities.ts, rlimits.ts) and reading host facts (host.ts): no root, no
// syscalls; the host is faked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, Process } from '../../../src/spec/types.js';
import { planProcess, parseCpuList } from '../../../src/runtime/process-plan.js';
import { CAPABILITY_NAMES, planCapabilities } from '../../../src/runtime/capabilities.js';
import { planRlimits } from '../../../src/runtime/rlimits.js';
import { parseCapEff, parseHardLimits, type HostFacts } from '../../../src/runtime/host.js';
import { PlanError } from '../../../src/core/errors.js';

const ALL_CAPS = (1n << 41n) - 1n;
const HOST: HostFacts = { lastCap: 40, capEff: ALL_CAPS, hardLimits: Array(16).fill(Infinity), apparmorEnabled: false, selinuxEnabled: false };
const config = (over: Partial<Config> = {}): Config => ({ ociVersion: '1.3.0', ...over }) as Config;
const proc = (over: Partial<Process> = {}): Process => ({ cwd: '/', args: ['sh'], ...over });
const plan = (p: Partial<Process> = {}, host: Partial<HostFacts> = {}, c: Partial<Config> = {}) =>
  planProcess(proc(p), config(c), { host: { ...HOST, ...host }, warn: () => assert.fail('unexpected warning') });

test('capability names are the kernel\'s numbers', () => {
  assert.equal(CAPABILITY_NAMES.length, 41);
  assert.equal(CAPABILITY_NAMES[0], 'CAP_CHOWN');
  assert.equal(CAPABILITY_NAMES[21], 'CAP_SYS_ADMIN');
  assert.equal(CAPABILITY_NAMES[24], 'CAP_SYS_RESOURCE');
  assert.equal(CAPABILITY_NAMES[40], 'CAP_CHECKPOINT_RESTORE');
});

test('capabilities: each set becomes its own mask; absent sets are empty', () => {
  const caps = planCapabilities({ bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_KILL'], ambient: [] }, 40, () => assert.fail());
  assert.deepEqual(caps, { bounding: 0b100001n, effective: 0b100000n, inheritable: 0n, permitted: 0n, ambient: 0n });
  assert.deepEqual(planCapabilities(undefined, 40, () => assert.fail()), { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n });
});

test('capabilities: unknown names and names this kernel lacks are warned about by name, and dropped', () => {
  const warnings: string[] = [];
  const caps = planCapabilities(
    { bounding: ['CAP_KILL', 'CAP_BOGUS', 'CAP_CHECKPOINT_RESTORE'], permitted: ['CAP_BOGUS'] },
    39,
    (m) => warnings.push(m),
  );
  assert.equal(caps.bounding, 1n << 5n);
  assert.equal(caps.permitted, 0n);
  assert.deepEqual(warnings, [
    'ignoring unknown capabilities in /process/capabilities: CAP_BOGUS',
    'ignoring capabilities this kernel does not have (its last is CAP_BPF): CAP_CHECKPOINT_RESTORE',
  ]);
});

test('rlimits: names become numbers, values int64 with -1 for unlimited', () => {
  assert.deepEqual(planRlimits([
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
    { type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 },
  ], HOST.hardLimits, ALL_CAPS), [
    { type: 7, soft: 1024n, hard: 4096n, configPath: '/process/rlimits/0' },
    { type: 4, soft: -1n, hard: -1n, configPath: '/process/rlimits/1' },
  ]);
});

test('rlimits: unknown, duplicated and soft above hard are refused with the path', () => {
  assert.throws(() => planRlimits([{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }], HOST.hardLimits, ALL_CAPS),
    { message: /^config\.json: \/process\/rlimits\/0\/type: unknown rlimit "RLIMIT_FOO"; use one of RLIMIT_CPU, / });
  assert.throws(() => planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 }], HOST.hardLimits, ALL_CAPS),
    { message: 'config.json: /process/rlimits/1/type: RLIMIT_NOFILE is listed twice; list each rlimit once' });
  assert.throws(() => planRlimits([{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }], HOST.hardLimits, ALL_CAPS),
    { message: 'config.json: /process/rlimits/0: RLIMIT_NOFILE: the soft limit 10 is above the hard limit 5; soft must be <= hard' });
});

test('rlimits: raising a hard limit needs CAP_SYS_RESOURCE, and the error says so with the numbers', () => {
  const hard = Array(16).fill(Infinity);
  hard[7] = 524288;
  const noResource = ALL_CAPS & ~(1n << 24n);
  const over = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1048576 }];
  assert.throws(() => planRlimits(over, hard, noResource), {
    message: 'config.json: /process/rlimits/0: cannot set RLIMIT_NOFILE to hard 1048576: the current hard limit is 524288, ' +
      'and raising a hard limit needs CAP_SYS_RESOURCE, which tsrun does not have here; ask for a hard limit of at most 524288',
  });
  assert.throws(() => planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1, hard: 18446744073709551615 }], hard, noResource), /to hard unlimited/);
  // With the capability, or at or below the ceiling, it is planned.
  assert.equal(planRlimits(over, hard, ALL_CAPS).length, 1);
  assert.equal(planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 524288 }], hard, noResource).length, 1);
});

test('host facts: /proc/self/limits hard column and CapEff', () => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max file size             unlimited            unlimited            bytes     ',
    'Max data size             unlimited            unlimited            bytes     ',
    'Max stack size            8388608              unlimited            bytes     ',
    'Max core file size        0                    unlimited            bytes     ',
    'Max resident set          unlimited            unlimited            bytes     ',
    'Max processes             96364                96364                processes ',
    'Max open files            20000                20000                files     ',
  ].join('\n');
  assert.deepEqual(parseHardLimits(limits), [Infinity, Infinity, Infinity, Infinity, Infinity, Infinity, 96364, 20000]);
  assert.equal(parseCapEff('Name:\tx\nCapEff:\t000001fffeffffff\n'), 0x1fffeffffffn);
});

test('process: user defaults to root with umask 022; capabilities and limits planned', () => {
  const p = plan({ user: { uid: 1000, gid: 100, additionalGids: [10, 20], umask: 0o077 }, noNewPrivileges: true });
  assert.equal(p.uid, 1000);
  assert.equal(p.gid, 100);
  assert.deepEqual(p.additionalGids, [10, 20]);
  assert.equal(p.umask, 0o077);
  assert.equal(p.noNewPrivileges, true);
  const d = plan();
  assert.deepEqual([d.uid, d.gid, d.additionalGids, d.umask, d.noNewPrivileges], [0, 0, [], 0o022, false]);
});

test('process: scheduler policies and their parameters', () => {
  assert.deepEqual(plan({ scheduler: { policy: 'SCHED_BATCH', nice: 5, flags: ['SCHED_FLAG_RESET_ON_FORK'] } }).scheduler,
    { policy: 3, flags: 1n, nice: 5, priority: 0, runtime: 0n, deadline: 0n, period: 0n });
  assert.equal(plan({ scheduler: { policy: 'SCHED_FIFO', priority: 10 } }).scheduler?.priority, 10);
  assert.throws(() => plan({ scheduler: { policy: 'SCHED_ISO' } }), { message: /\/process\/scheduler\/policy: SCHED_ISO is not a Linux scheduling policy/ });
  assert.throws(() => plan({ scheduler: { policy: 'SCHED_OTHER', priority: 5 } }), { message: /\/process\/scheduler\/priority: only SCHED_FIFO and SCHED_RR take a priority/ });
  assert.throws(() => plan({ scheduler: { policy: 'SCHED_OTHER', nice: 30 } }), { message: /\/process\/scheduler\/nice: must be from -20 to 19, not 30/ });
  assert.throws(() => plan({ scheduler: { policy: 'SCHED_RR', runtime: 10 } }), { message: /runtime, deadline and period are for SCHED_DEADLINE only/ });
});

test('process: ioPriority is class << 13 | level, level 0..7', () => {
  assert.equal(plan({ ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 6 } }).ioPriority, (2 << 13) | 6);
  assert.equal(plan({ ioPriority: { class: 'IOPRIO_CLASS_IDLE' } }).ioPriority, 3 << 13);
  assert.throws(() => plan({ ioPriority: { class: 'IOPRIO_CLASS_RT', priority: 8 } }), { message: /\/process\/ioPriority\/priority: must be from 0 \(highest\) to 7, not 8/ });
});

test('process: execCPUAffinity lists', () => {
  assert.deepEqual(parseCpuList('0-3, 7,2', '/x'), [0, 1, 2, 3, 7]);
  const p = plan({ execCPUAffinity: { initial: '0-1', final: '1' } });
  assert.deepEqual([p.cpuAffinityInitial, p.cpuAffinityFinal], [[0, 1], [1]]);
  assert.deepEqual(plan({ execCPUAffinity: { final: '' } }).cpuAffinityFinal, []);
  assert.throws(() => parseCpuList('3-1', '/process/execCPUAffinity/final'), { message: 'config.json: /process/execCPUAffinity/final: the range "3-1" runs backwards' });
  assert.throws(() => parseCpuList('1,,2', '/p'), { message: 'config.json: /p: "" is not a CPU or a range like "0-3"' });
  assert.throws(() => parseCpuList('4096', '/p'), PlanError);
});

test('process: oomScoreAdj range; personality domains; no flags', () => {
  assert.equal(plan({ oomScoreAdj: -1000 }).oomScoreAdj, -1000);
  assert.throws(() => plan({ oomScoreAdj: 1001 }), { message: 'config.json: /process/oomScoreAdj: must be from -1000 to 1000, not 1001' });
  assert.equal(plan({}, {}, { linux: { personality: { domain: 'LINUX32' } } }).personality, 8);
  assert.equal(plan({}, {}, { linux: { personality: { domain: 'LINUX' } } }).personality, 0);
  assert.throws(() => plan({}, {}, { linux: { personality: { domain: 'LINUX', flags: ['X'] } } }), { message: /\/linux\/personality\/flags: the runtime-spec defines no personality flags yet/ });
});

test('process: AppArmor and SELinux labels pass where enabled and are refused, with the reason, where not', () => {
  assert.equal(plan({ apparmorProfile: 'docker-default' }, { apparmorEnabled: true }).apparmorProfile, 'docker-default');
  assert.throws(() => plan({ apparmorProfile: 'docker-default' }), { message: /^config\.json: \/process\/apparmorProfile: AppArmor is not enabled on this host/ });
  assert.equal(plan({ selinuxLabel: 'a:b:c:s0' }, { selinuxEnabled: true }).selinuxLabel, 'a:b:c:s0');
  assert.throws(() => plan({ selinuxLabel: 'a:b:c:s0' }), { message: /^config\.json: \/process\/selinuxLabel: SELinux is not enabled on this host/ });
  // An empty profile asks for nothing.
  assert.equal(plan({ apparmorProfile: '' }).apparmorProfile, undefined);
});
