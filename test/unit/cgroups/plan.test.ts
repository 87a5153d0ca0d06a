// Unit tests for the resource planners (src/cgroups/v1-writes.ts and
// v2-writes.ts): which files get which values, in which order, and the
// refusals, each naming its field and controller. The cgroup is a fake view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Resources } from '../../../src/spec/types.js';
import { planV1 } from '../../../src/cgroups/v1-writes.js';
import { planV2 } from '../../../src/cgroups/v2-writes.js';
import { CgroupError } from '../../../src/cgroups/errors.js';
import { ConfigPathError, describeConfigProblem } from '../../../src/core/errors.js';
import type { CgroupOp, CgroupView, FileWrite, PlanContext } from '../../../src/cgroups/writes.js';

// What a fresh v1 cgroup holds on this host (Linux 6.18, BFQ, no CFQ).
const V1_FILES: Record<string, Record<string, string>> = {
  memory: {
    'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712', 'memory.soft_limit_in_bytes': '',
    'memory.kmem.limit_in_bytes': '', 'memory.kmem.tcp.limit_in_bytes': '', 'memory.swappiness': '60', 'memory.oom_control': '',
    'memory.use_hierarchy': '1', 'memory.usage_in_bytes': '500000',
  },
  cpu: { 'cpu.shares': '1024', 'cpu.cfs_period_us': '', 'cpu.cfs_quota_us': '', 'cpu.cfs_burst_us': '', 'cpu.idle': '', 'cpu.rt_period_us': '', 'cpu.rt_runtime_us': '' },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '' },
  pids: { 'pids.max': 'max' },
  blkio: { 'blkio.bfq.weight': '100', 'blkio.bfq.weight_device': '', 'blkio.throttle.read_bps_device': '' },
  devices: { 'devices.allow': '', 'devices.deny': '' },
  freezer: {},
};

function v1View(files = V1_FILES, unified?: { files: string[]; controllers: string[] }): CgroupView {
  return {
    hasController: (c) => c in files,
    has: (c, f) => files[c] !== undefined && f in files[c],
    read: (c, f) => files[c]?.[f],
    unified: unified && { has: (f) => unified.files.includes(f), controllers: new Set(unified.controllers) },
  };
}

const V2_FILES: Record<string, string> = {
  'memory.max': 'max', 'memory.swap.max': 'max', 'memory.low': '0', 'memory.current': '500000', 'cpu.weight': '100', 'cpu.max': 'max 100000',
  'cpu.max.burst': '0', 'cpu.idle': '0', 'cpuset.cpus': '', 'cpuset.mems': '', 'pids.max': 'max', 'io.weight': 'default 100', 'io.max': '',
  'hugetlb.2MB.max': 'max', 'hugetlb.2MB.rsvd.max': 'max', 'rdma.max': '', 'memory.high': 'max', 'cgroup.max.depth': 'max',
};

function v2View(controllers = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma'], files = V2_FILES): CgroupView {
  return { hasController: (c) => controllers.includes(c), has: (_c, f) => f in files, read: (_c, f) => files[f] };
}

const ctx = (view: CgroupView, over: Partial<PlanContext> = {}): PlanContext => ({ view, update: false, kernel: [6, 18], hugepageSizes: ['2MB', '1GB'], ...over });
const writes = (ops: CgroupOp[]) => ops.filter((o): o is FileWrite => o.kind === 'write').map((w) => `${w.controller}:${w.file}=${w.value}`);
const noDevices = (ops: CgroupOp[]) => writes(ops).filter((w) => !w.startsWith('devices:'));

function refused(fn: () => unknown, field: string, controller: string, reason: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof CgroupError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.field, field);
    assert.equal(e.controller, controller);
    assert.match(e.message, new RegExp(`^config\\.json: /linux/resources${field.replace(/\//g, '\\/')}: `));
    assert.match(e.message, reason);
    return true;
  });
}

test('v1 memory: the limits, swap raised before the limit when it grows (runc order)', () => {
  const r: Resources = { memory: { limit: 104857600, reservation: 52428800, swap: 209715200, swappiness: 10, disableOOMKiller: true, useHierarchy: true, kernelTCP: 1048576 } };
  assert.deepEqual(noDevices(planV1(r, ctx(v1View()), true)), [
    'memory:memory.use_hierarchy=1',
    'memory:memory.limit_in_bytes=104857600',
    'memory:memory.memsw.limit_in_bytes=209715200',
    'memory:memory.soft_limit_in_bytes=52428800',
    'memory:memory.swappiness=10',
    'memory:memory.oom_control=1',
  ]);
  // Growing past the current limit: memsw first, so limit <= memsw holds at each step.
  const small = { ...V1_FILES, memory: { ...V1_FILES.memory, 'memory.limit_in_bytes': '1000' } };
  assert.deepEqual(noDevices(planV1({ memory: { limit: 3000, swap: 4000 } }, ctx(v1View(small)), false)), [
    'memory:memory.memsw.limit_in_bytes=4000', 'memory:memory.limit_in_bytes=3000',
  ]);
  // Unlimited memory, swap not given: swap unlimited too.
  assert.deepEqual(noDevices(planV1({ memory: { limit: -1 } }, ctx(v1View()), false)), [
    'memory:memory.memsw.limit_in_bytes=-1', 'memory:memory.limit_in_bytes=-1',
  ]);
});

test('v1 memory: what this host cannot honour is refused by field and controller', () => {
  const v = v1View();
  refused(() => planV1({ memory: { useHierarchy: false } }, ctx(v), true), '/memory/useHierarchy', 'memory', /no longer has non-hierarchical memory accounting/);
  refused(() => planV1({ memory: { swappiness: 101 } }, ctx(v), true), '/memory/swappiness', 'memory', /swappiness is 0 to 100/);
  refused(() => planV1({ memory: { limit: 2000, swap: 1000 } }, ctx(v), true), '/memory/swap', 'memory', /must be at least the memory limit/);
  const noSwap = { ...V1_FILES, memory: { ...V1_FILES.memory } };
  delete noSwap.memory['memory.memsw.limit_in_bytes'];
  refused(() => planV1({ memory: { swap: 1000, limit: 500 } }, ctx(v1View(noSwap)), true), '/memory/swap', 'memory', /swapaccount=1/);
  refused(() => planV1({ memory: { limit: 1000, checkBeforeUpdate: true } }, ctx(v, { update: true }), false), '/memory/limit', 'memory', /below the current usage 500000/);
});

test('v1 cpu: realtime first, shares read back, period retried after quota; cpus and mems to cpuset', () => {
  const ops = planV1({ cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, idle: 0, realtimePeriod: 1000000, realtimeRuntime: 10000, cpus: '0', mems: '0' } }, ctx(v1View()), true);
  assert.deepEqual(noDevices(ops), [
    'cpuset:cpuset.cpus=0', 'cpuset:cpuset.mems=0',
    'cpu:cpu.rt_period_us=1000000', 'cpu:cpu.rt_runtime_us=10000', 'cpu:cpu.shares=512',
    'cpu:cpu.cfs_period_us=100000', 'cpu:cpu.cfs_quota_us=50000', 'cpu:cpu.cfs_burst_us=1000', 'cpu:cpu.idle=0',
  ]);
  const byFile = new Map(ops.filter((o): o is FileWrite => o.kind === 'write').map((w) => [w.file, w]));
  assert.equal(byFile.get('cpu.shares')!.verify, true);
  assert.equal(byFile.get('cpu.cfs_period_us')!.retryLast, true);
  assert.equal(byFile.get('cpu.rt_runtime_us')!.rtBudget, true);
  const noRt = { ...V1_FILES, cpu: { 'cpu.shares': '' } };
  refused(() => planV1({ cpu: { realtimeRuntime: 1000 } }, ctx(v1View(noRt)), true), '/cpu/realtimeRuntime', 'cpu', /CONFIG_RT_GROUP_SCHED/);
  refused(() => planV1({ cpu: { burst: 1000 } }, ctx(v1View(noRt)), true), '/cpu/burst', 'cpu', /no cpu\.cfs_burst_us/);
  refused(() => planV1({ cpu: { quota: 1000, burst: 2000 } }, ctx(v1View()), true), '/cpu/burst', 'cpu', /must not exceed quota/);
});

test('v1 pids, blkio (BFQ here), network, rdma', () => {
  assert.deepEqual(noDevices(planV1({ pids: { limit: 10 } }, ctx(v1View()), true)), ['pids:pids.max=10']);
  assert.deepEqual(noDevices(planV1({ pids: { limit: -1 } }, ctx(v1View()), true)), ['pids:pids.max=max']);
  assert.deepEqual(noDevices(planV1({ pids: { limit: 0 } }, ctx(v1View()), true)), [], '0 is unset, as with runc');
  const b: Resources = { blockIO: { weight: 300, weightDevice: [{ major: 254, minor: 0, weight: 200 }], throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }] } };
  assert.deepEqual(noDevices(planV1(b, ctx(v1View()), true)), [
    'blkio:blkio.bfq.weight=300', 'blkio:blkio.bfq.weight_device=254:0 200', 'blkio:blkio.throttle.read_bps_device=254:0 1048576',
  ]);
  const cfq = { ...V1_FILES, blkio: { 'blkio.weight': '', 'blkio.weight_device': '', 'blkio.leaf_weight': '' } };
  assert.deepEqual(noDevices(planV1({ blockIO: { weight: 300, leafWeight: 200 } }, ctx(v1View(cfq)), true)), ['blkio:blkio.weight=300', 'blkio:blkio.leaf_weight=200']);
  refused(() => planV1({ blockIO: { leafWeight: 200 } }, ctx(v1View()), true), '/blockIO/leafWeight', 'blkio', /only with the CFQ scheduler/);
  refused(() => planV1({ blockIO: { weight: 5 } }, ctx(v1View()), true), '/blockIO/weight', 'blkio', /weight is 10 to 1000/);
  refused(() => planV1({ network: { classID: 0x100001 } }, ctx(v1View()), true), '/network/classID', 'net_cls', /no cgroup v1 hierarchy on this host has the net_cls controller/);
  const net = { ...V1_FILES, net_cls: { 'net_cls.classid': '' }, net_prio: { 'net_prio.ifpriomap': '' } };
  assert.deepEqual(noDevices(planV1({ network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }] } }, ctx(v1View(net)), true)), [
    'net_cls:net_cls.classid=1048577', 'net_prio:net_prio.ifpriomap=eth0 5',
  ]);
  refused(() => planV1({ rdma: { mlx5_1: { hcaHandles: 3 } } }, ctx(v1View()), true), '/rdma/mlx5_1', 'rdma', /CONFIG_CGROUP_RDMA and an RDMA device/);
  const rdma = { ...V1_FILES, rdma: { 'rdma.max': '' } };
  assert.deepEqual(noDevices(planV1({ rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } } }, ctx(v1View(rdma)), true)), ['rdma:rdma.max=mlx5_1 hca_handle=3 hca_object=10000']);
});

test('v1 hugetlb: its own hierarchy, or (hybrid) the unified cgroup if hugetlb is enabled there; else refused', () => {
  const h = { ...V1_FILES, hugetlb: { 'hugetlb.2MB.limit_in_bytes': '', 'hugetlb.2MB.rsvd.limit_in_bytes': '' } };
  assert.deepEqual(noDevices(planV1({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] }, ctx(v1View(h)), true)), [
    'hugetlb:hugetlb.2MB.limit_in_bytes=4194304', 'hugetlb:hugetlb.2MB.rsvd.limit_in_bytes=4194304',
  ]);
  const enabled = v1View(V1_FILES, { files: ['hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max'], controllers: ['hugetlb'] });
  const ops = planV1({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] }, ctx(enabled), true).filter((o): o is FileWrite => o.kind === 'write' && o.unified === true);
  assert.deepEqual(ops.map((w) => `${w.file}=${w.value}`), ['hugetlb.2MB.max=4194304', 'hugetlb.2MB.rsvd.max=4194304']);
  const notEnabled = v1View(V1_FILES, { files: [], controllers: [] });
  refused(() => planV1({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }, ctx(notEnabled), true), '/hugepageLimits', 'hugetlb', /only in the unified \(v2\) hierarchy, where it is not enabled/);
  refused(() => planV1({ hugepageLimits: [{ pageSize: '4MB', limit: 1 }] }, ctx(v1View(h)), true), '/hugepageLimits/0/pageSize', 'hugetlb', /no 4MB huge pages \(it has 2MB, 1GB\)/);
});

test('v1 unified: refused without a cgroup2 mount; on hybrid written to the unified cgroup', () => {
  refused(() => planV1({ unified: { 'memory.high': '1' } }, ctx(v1View()), true), '/unified', '', /this host has only cgroup v1/);
  const hybrid = v1View(V1_FILES, { files: ['cgroup.max.descendants'], controllers: [] });
  const w = planV1({ unified: { 'cgroup.max.descendants': '5' } }, ctx(hybrid), true).filter((o): o is FileWrite => o.kind === 'write' && !!o.unified);
  assert.deepEqual(w.map((x) => `${x.file}=${x.value}`), ['cgroup.max.descendants=5']);
  refused(() => planV1({ unified: { 'memory.high': '1' } }, ctx(hybrid), true), '/unified/memory.high', 'memory', /not available to the container's cgroup/);
});

test('v1 devices: reset to deny-all, then the exceptions; update refuses device rules', () => {
  const w = writes(planV1({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'w' }] }, ctx(v1View()), true));
  assert.deepEqual(w.slice(0, 3), ['devices:devices.deny=a', 'devices:devices.allow=c 1:11 w', 'devices:devices.allow=c *:* m']);
  assert.deepEqual(writes(planV1({ devices: [{ allow: true, access: 'rwm' }] }, ctx(v1View()), true)).slice(0, 1), ['devices:devices.allow=a']);
  assert.deepEqual(writes(planV1({}, ctx(v1View()), false)), [], 'update touches no devices');
  refused(() => planV1({ devices: [{ allow: true }] }, ctx(v1View()), false), '/devices', 'devices', /update does not change device rules/);
});

test('v2 memory: memory.max, memory.low, memory+swap converted to swap alone', () => {
  assert.deepEqual(writes(planV2({ memory: { limit: 104857600, reservation: 52428800, swap: 209715200 } }, ctx(v2View()), false)), [
    'memory:memory.swap.max=104857600', 'memory:memory.max=104857600', 'memory:memory.low=52428800',
  ]);
  assert.deepEqual(writes(planV2({ memory: { limit: -1 } }, ctx(v2View()), false)), ['memory:memory.swap.max=max', 'memory:memory.max=max']);
  assert.deepEqual(writes(planV2({ memory: { limit: 1000, swap: 1000 } }, ctx(v2View()), false)), ['memory:memory.swap.max=0', 'memory:memory.max=1000']);
  // update: swap alone is converted against the limit in force.
  assert.deepEqual(writes(planV2({ memory: { swap: 3000 } }, ctx(v2View(), { update: true, current: { memory: { limit: 1000 } } }), false)), ['memory:memory.swap.max=2000']);
});

test('v2 memory: fields with no v2 counterpart are refused', () => {
  const v = v2View();
  refused(() => planV2({ memory: { swappiness: 10 } }, ctx(v), false), '/memory/swappiness', 'memory', /no per-cgroup swappiness/);
  refused(() => planV2({ memory: { disableOOMKiller: true } }, ctx(v), false), '/memory/disableOOMKiller', 'memory', /no switch to disable the OOM killer/);
  refused(() => planV2({ memory: { useHierarchy: false } }, ctx(v), false), '/memory/useHierarchy', 'memory', /always hierarchical/);
  assert.deepEqual(writes(planV2({ memory: { disableOOMKiller: false, useHierarchy: true, kernel: -1 } }, ctx(v), false)), [], 'the defaults are fine');
  refused(() => planV2({ memory: { limit: 1 } }, ctx(v2View(['pids'])), false), '/memory', 'memory', /missing from cgroup\.controllers/);
});

test('v2 cpu: shares -> cpu.weight, quota/period -> cpu.max, burst, idle, cpuset; realtime refused', () => {
  assert.deepEqual(writes(planV2({ cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, idle: 1, cpus: '0-1', mems: '0' } }, ctx(v2View()), false)), [
    'cpuset:cpuset.cpus=0-1', 'cpuset:cpuset.mems=0', 'cpu:cpu.idle=1', 'cpu:cpu.weight=100', 'cpu:cpu.max.burst=1000', 'cpu:cpu.max=50000 100000',
  ]);
  assert.deepEqual(writes(planV2({ cpu: { period: 200000 } }, ctx(v2View()), false)), ['cpu:cpu.max=max 200000']);
  assert.deepEqual(writes(planV2({ cpu: { quota: 20000 } }, ctx(v2View(), { current: { cpu: { period: 50000 } } }), false)), ['cpu:cpu.max=20000 50000'], 'update keeps the period');
  assert.deepEqual(writes(planV2({ cpu: { quota: -1 } }, ctx(v2View()), false)), ['cpu:cpu.max=max']);
  refused(() => planV2({ cpu: { realtimeRuntime: 1000 } }, ctx(v2View()), false), '/cpu/realtimeRuntime', 'cpu', /cgroup v2 has no realtime CPU bandwidth/);
  refused(() => planV2({ cpu: { shares: 1 } }, ctx(v2View()), false), '/cpu/shares', 'cpu', /shares is 2 to 262144/);
});

test('v2 pids, io, hugetlb, rdma, network', () => {
  assert.deepEqual(writes(planV2({ pids: { limit: 7 } }, ctx(v2View()), false)), ['pids:pids.max=7']);
  const io: Resources = {
    blockIO: {
      weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 30 }],
    },
  };
  assert.deepEqual(writes(planV2(io, ctx(v2View()), false)), [
    'io:io.weight=default 4950', 'io:io.weight=8:0 10000', 'io:io.max=8:0 rbps=1000', 'io:io.max=8:0 wiops=30',
  ]);
  const bfq = v2View(undefined, { ...V2_FILES, 'io.bfq.weight': 'default 100' });
  assert.deepEqual(writes(planV2({ blockIO: { weight: 500 } }, ctx(bfq), false)), ['io:io.bfq.weight=500'], 'BFQ takes blkio weights as they are');
  refused(() => planV2({ blockIO: { leafWeight: 10 } }, ctx(v2View()), false), '/blockIO/leafWeight', 'io', /no leaf weights/);
  assert.deepEqual(writes(planV2({ hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] }, ctx(v2View()), false)), [
    'hugetlb:hugetlb.2MB.max=2097152', 'hugetlb:hugetlb.2MB.rsvd.max=2097152',
  ]);
  assert.deepEqual(writes(planV2({ rdma: { rxe3: { hcaObjects: 100 } } }, ctx(v2View()), false)), ['rdma:rdma.max=rxe3 hca_object=100']);
  refused(() => planV2({ rdma: { rxe3: {} } }, ctx(v2View()), false), '/rdma/rxe3', 'rdma', /give hcaHandles, hcaObjects or both/);
  refused(() => planV2({ network: { classID: 1 } }, ctx(v2View()), false), '/network', 'net_cls/net_prio', /exist only in cgroup v1/);
});

test('v2 unified: raw keys written last; bad names and unavailable controllers refused', () => {
  assert.deepEqual(writes(planV2({ pids: { limit: 5 }, unified: { 'memory.high': '1000000', 'cgroup.max.depth': '3' } }, ctx(v2View()), false)), [
    'pids:pids.max=5', 'memory:memory.high=1000000', 'cgroup:cgroup.max.depth=3',
  ]);
  refused(() => planV2({ unified: { '../x': '1' } }, ctx(v2View()), false), '/unified/../x', '', /not a file of the container's cgroup/);
  refused(() => planV2({ unified: { nodot: '1' } }, ctx(v2View()), false), '/unified/nodot', '', /not a cgroup v2 file name/);
  refused(() => planV2({ unified: { 'misc.max': '1' } }, ctx(v2View()), false), '/unified/misc.max', 'misc', /not available/);
  refused(() => planV2({ unified: { 'memory.nosuch': '1' } }, ctx(v2View()), false), '/unified/memory.nosuch', 'memory', /has no file memory\.nosuch/);
});

test('v2 devices: a BPF program is attached at create, and update refuses device rules', () => {
  const ops = planV2({}, ctx(v2View()), true);
  assert.equal(ops.length, 1);
  assert.equal(ops[0].kind, 'bpf');
  assert.deepEqual(planV2({}, ctx(v2View()), false), []);
  refused(() => planV2({ devices: [{ allow: true }] }, ctx(v2View()), false), '/devices', 'devices', /update does not change device rules/);
});

test('a cgroup error is a ConfigPathError, worded by describeConfigProblem for each source: config.json, update\'s file, a flag, update\'s own', () => {
  const e = new CgroupError('/memory/limit', 'memory', 'too small');
  assert.ok(e instanceof ConfigPathError);
  assert.deepEqual([e.path, e.reason, e.field, e.controller, e.problem], ['/linux/resources/memory/limit', 'the memory controller: too small', '/memory/limit', 'memory', 'too small']);
  assert.equal(e.message, 'config.json: /linux/resources/memory/limit: the memory controller: too small');
  assert.equal(e.message, describeConfigProblem(e));
  assert.equal(e.from({ kind: 'update', file: 'res.json' }).message, 'res.json: /memory/limit: the memory controller: too small');
  assert.equal(e.from({ kind: 'flag', flag: '--memory' }).message, '--memory: the memory controller: too small');
  assert.equal(e.from({ kind: 'update' }).message, 'update: linux.resources/memory/limit: the memory controller: too small');
  // The resources as a whole, from a file: the file's top.
  assert.equal(new CgroupError('', '', 'no').from({ kind: 'update', file: 'stdin' }).message, 'stdin: /: no');
});
