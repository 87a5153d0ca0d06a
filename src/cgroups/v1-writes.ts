// linux.resources on cgroup v1 (and hybrid): the file writes, per field, in
// runc's order. 0 means "unset" for the limits, as it does for runc. A field
// this host cannot honour is a CgroupError naming it and its controller.
import type { BlockIODeviceThrottle, Resources } from '../spec/types.js';
import { containerDeviceState, ruleText } from './device-rules.js';
import { CgroupError } from './errors.js';
import type { CgroupOp, FileWrite, PlanContext } from './writes.js';
import { checkPageSize, planUnified, rdmaLine, asksAnything } from './common-writes.js';

type Push = (controller: string, file: string, value: string | number, field: string, extra?: Partial<FileWrite>) => void;

function need(ctx: PlanContext, controller: string, field: string): void {
  if (!ctx.view.hasController(controller)) {
    throw new CgroupError(field, controller, `no cgroup v1 hierarchy on this host has the ${controller} controller (see /proc/cgroups and mount)`);
  }
}

function memory(r: Resources, ctx: PlanContext, push: Push): void {
  const m = r.memory;
  if (!m) return;
  const present = Object.values(m).some((v) => v !== undefined);
  if (!present) return;
  need(ctx, 'memory', '/memory');
  if (m.useHierarchy === false) {
    throw new CgroupError('/memory/useHierarchy', 'memory',
      'Linux no longer has non-hierarchical memory accounting (memory.use_hierarchy is always 1); remove useHierarchy or set it to true');
  }
  if (m.useHierarchy === true) push('memory', 'memory.use_hierarchy', 1, '/memory/useHierarchy');

  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  if (ctx.update && m.checkBeforeUpdate && limit > 0) {
    const usage = Number(ctx.view.read('memory', 'memory.usage_in_bytes') ?? 0);
    if (limit < usage) {
      throw new CgroupError('/memory/limit', 'memory', `the new limit ${limit} is below the current usage ${usage} (checkBeforeUpdate is set)`);
    }
  }
  const hasSwapFile = ctx.view.has('memory', 'memory.memsw.limit_in_bytes');
  // Unlimited memory with swap left alone means unlimited swap too (runc).
  if (limit === -1 && swap === 0 && hasSwapFile) swap = -1;
  if (swap !== 0 && !hasSwapFile) {
    throw new CgroupError('/memory/swap', 'memory', 'swap accounting is off on this host (no memory.memsw.limit_in_bytes): boot with swapaccount=1, or remove swap');
  }
  if (limit > 0 && swap > 0 && swap < limit) {
    throw new CgroupError('/memory/swap', 'memory', `memory+swap (${swap}) must be at least the memory limit (${limit})`);
  }
  const setLimit = () => limit !== 0 && push('memory', 'memory.limit_in_bytes', limit, '/memory/limit');
  const setSwap = () => swap !== 0 && push('memory', 'memory.memsw.limit_in_bytes', swap, '/memory/swap');
  // The kernel keeps limit <= memsw at every step: raise memsw first when it grows.
  const current = Number(ctx.view.read('memory', 'memory.limit_in_bytes') ?? 0);
  if (limit !== 0 && swap !== 0 && (swap === -1 || current < swap)) {
    setSwap();
    setLimit();
  } else {
    setLimit();
    setSwap();
  }
  if (m.reservation) push('memory', 'memory.soft_limit_in_bytes', m.reservation, '/memory/reservation');
  // kernel and kernelTCP are ignored (create warns: ignored.ts).
  if (m.swappiness !== undefined && m.swappiness !== -1) {
    if (m.swappiness > 100) throw new CgroupError('/memory/swappiness', 'memory', `${m.swappiness} is out of range: swappiness is 0 to 100`);
    push('memory', 'memory.swappiness', m.swappiness, '/memory/swappiness');
  }
  if (m.disableOOMKiller !== undefined && (m.disableOOMKiller || ctx.update)) {
    push('memory', 'memory.oom_control', m.disableOOMKiller ? 1 : 0, '/memory/disableOOMKiller');
  }
}

function cpu(r: Resources, ctx: PlanContext, push: Push): void {
  const c = r.cpu;
  if (!c) return;
  if (c.cpus || c.mems) {
    need(ctx, 'cpuset', '/cpu');
    if (c.cpus) push('cpuset', 'cpuset.cpus', c.cpus, '/cpu/cpus');
    if (c.mems) push('cpuset', 'cpuset.mems', c.mems, '/cpu/mems');
  }
  const cfs = c.shares || c.period || c.quota || c.burst !== undefined || c.idle !== undefined;
  const rt = c.realtimePeriod || c.realtimeRuntime;
  if (!cfs && !rt) return;
  need(ctx, 'cpu', '/cpu');
  // Realtime first: a process already SCHED_RR needs the budget before it moves in (runc).
  if (rt) {
    if (!ctx.view.has('cpu', 'cpu.rt_runtime_us')) {
      throw new CgroupError(c.realtimeRuntime ? '/cpu/realtimeRuntime' : '/cpu/realtimePeriod', 'cpu',
        'realtime CPU limits need a kernel built with CONFIG_RT_GROUP_SCHED (there is no cpu.rt_runtime_us); remove realtimeRuntime and realtimePeriod');
    }
    if (c.realtimePeriod) push('cpu', 'cpu.rt_period_us', c.realtimePeriod, '/cpu/realtimePeriod');
    if (c.realtimeRuntime) push('cpu', 'cpu.rt_runtime_us', c.realtimeRuntime, '/cpu/realtimeRuntime', { rtBudget: true });
  }
  if (c.shares) push('cpu', 'cpu.shares', c.shares, '/cpu/shares', { verify: true });
  // A smaller period can be refused until the quota is lowered: retried after it (runc).
  if (c.period) push('cpu', 'cpu.cfs_period_us', c.period, '/cpu/period', { retryLast: !!c.quota });
  if (c.quota) push('cpu', 'cpu.cfs_quota_us', c.quota, '/cpu/quota');
  if (c.burst !== undefined) {
    if (!ctx.view.has('cpu', 'cpu.cfs_burst_us')) throw new CgroupError('/cpu/burst', 'cpu', 'this kernel has no cpu.cfs_burst_us (Linux 5.14 or later has it); remove burst');
    if (c.quota && c.quota > 0 && c.burst > c.quota) throw new CgroupError('/cpu/burst', 'cpu', `burst (${c.burst}) must not exceed quota (${c.quota})`);
    push('cpu', 'cpu.cfs_burst_us', c.burst, '/cpu/burst');
  }
  if (c.idle !== undefined) {
    if (!ctx.view.has('cpu', 'cpu.idle')) throw new CgroupError('/cpu/idle', 'cpu', 'this kernel has no cpu.idle (Linux 5.15 or later has it); remove idle');
    push('cpu', 'cpu.idle', c.idle, '/cpu/idle');
  }
}

function pids(r: Resources, ctx: PlanContext, push: Push): void {
  if (!r.pids?.limit) return;
  need(ctx, 'pids', '/pids/limit');
  push('pids', 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max', '/pids/limit');
}

const THROTTLES: [keyof NonNullable<Resources['blockIO']>, string][] = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
];

function blkio(r: Resources, ctx: PlanContext, push: Push): void {
  const b = r.blockIO;
  if (!b || !asksAnything(b)) return;
  need(ctx, 'blkio', '/blockIO');
  // CFQ had blkio.weight; BFQ (the only proportional scheduler since Linux 5.0) has blkio.bfq.weight.
  const cfq = ctx.view.has('blkio', 'blkio.weight');
  const bfq = ctx.view.has('blkio', 'blkio.bfq.weight');
  const weightFile = cfq ? 'blkio.weight' : bfq ? 'blkio.bfq.weight' : undefined;
  const noWeight = (field: string) =>
    new CgroupError(field, 'blkio', 'this kernel has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ, CONFIG_BFQ_GROUP_IOSCHED): weights cannot be set');
  const noLeaf = (field: string) =>
    new CgroupError(field, 'blkio', 'leaf weights existed only with the CFQ scheduler, which this kernel does not have; remove leafWeight');
  if (b.weight) {
    if (!weightFile) throw noWeight('/blockIO/weight');
    if (b.weight < 10 || b.weight > 1000) throw new CgroupError('/blockIO/weight', 'blkio', `${b.weight} is out of range: weight is 10 to 1000`);
    push('blkio', weightFile, b.weight, '/blockIO/weight');
  }
  if (b.leafWeight) {
    if (!ctx.view.has('blkio', 'blkio.leaf_weight')) throw noLeaf('/blockIO/leafWeight');
    push('blkio', 'blkio.leaf_weight', b.leafWeight, '/blockIO/leafWeight');
  }
  (b.weightDevice ?? []).forEach((d, i) => {
    const field = `/blockIO/weightDevice/${i}`;
    if (d.weight === undefined && d.leafWeight === undefined) throw new CgroupError(field, 'blkio', 'give weight, leafWeight or both');
    if (d.weight !== undefined) {
      if (!weightFile) throw noWeight(`${field}/weight`);
      push('blkio', `${weightFile}_device`, `${d.major}:${d.minor} ${d.weight}`, `${field}/weight`);
    }
    if (d.leafWeight !== undefined) {
      if (!ctx.view.has('blkio', 'blkio.leaf_weight_device')) throw noLeaf(`${field}/leafWeight`);
      push('blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`, `${field}/leafWeight`);
    }
  });
  for (const [key, file] of THROTTLES) {
    ((b[key] as BlockIODeviceThrottle[] | undefined) ?? []).forEach((d, i) =>
      push('blkio', file, `${d.major}:${d.minor} ${d.rate ?? 0}`, `/blockIO/${key}/${i}`),
    );
  }
}

function hugetlb(r: Resources, ctx: PlanContext, push: Push): void {
  const limits = r.hugepageLimits ?? [];
  if (!limits.length) return;
  // On a hybrid host hugetlb may live only in the unified hierarchy.
  const v1 = ctx.view.hasController('hugetlb');
  const unified = !v1 && ctx.view.unified?.controllers.has('hugetlb');
  if (!v1 && !unified) {
    throw new CgroupError('/hugepageLimits', 'hugetlb', ctx.view.unified
      ? 'this host has hugetlb only in the unified (v2) hierarchy, where it is not enabled for the container: ' +
        "the root's cgroup.subtree_control lacks +hugetlb, and tsrun changes only cgroups it created; enable it there or remove hugepageLimits"
      : 'no cgroup v1 hierarchy on this host has the hugetlb controller; remove hugepageLimits');
  }
  limits.forEach((h, i) => {
    const field = `/hugepageLimits/${i}`;
    checkPageSize(h.pageSize, ctx.hugepageSizes, `${field}/pageSize`, 'hugetlb');
    const [limitFile, rsvdFile] = unified
      ? [`hugetlb.${h.pageSize}.max`, `hugetlb.${h.pageSize}.rsvd.max`]
      : [`hugetlb.${h.pageSize}.limit_in_bytes`, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`];
    push('hugetlb', limitFile, h.limit, `${field}/limit`, { unified });
    // Reservation limits, where the kernel has them, are the ones the spec prefers.
    const hasRsvd = unified ? ctx.view.unified!.has(rsvdFile) : ctx.view.has('hugetlb', rsvdFile);
    if (hasRsvd) push('hugetlb', rsvdFile, h.limit, `${field}/limit`, { unified });
  });
}

function network(r: Resources, ctx: PlanContext, push: Push): void {
  const n = r.network;
  if (!n) return;
  if (n.classID !== undefined) {
    need(ctx, 'net_cls', '/network/classID');
    push('net_cls', 'net_cls.classid', n.classID, '/network/classID');
  }
  (n.priorities ?? []).forEach((p, i) => {
    need(ctx, 'net_prio', `/network/priorities/${i}`);
    push('net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`, `/network/priorities/${i}`);
  });
}

function rdma(r: Resources, ctx: PlanContext, push: Push): void {
  for (const [dev, l] of Object.entries(r.rdma ?? {})) {
    const field = `/rdma/${dev}`;
    if (!ctx.view.hasController('rdma')) {
      throw new CgroupError(field, 'rdma', 'this host has no rdma controller (the kernel needs CONFIG_CGROUP_RDMA and an RDMA device); remove rdma');
    }
    push('rdma', 'rdma.max', rdmaLine(dev, l, field, 'rdma'), field);
  }
}

function devices(r: Resources, ctx: PlanContext, push: Push, create: boolean): void {
  if (!create) {
    if (r.devices?.length) throw new CgroupError('/devices', 'devices', 'update does not change device rules (neither does runc): recreate the container');
    return;
  }
  if (!ctx.view.hasController('devices')) {
    // Without the controller the container would reach every device: refuse, as runc does.
    throw new CgroupError('/devices', 'devices', 'no cgroup v1 hierarchy on this host has the devices controller, so device access cannot be limited');
  }
  const state = containerDeviceState(r.devices);
  push('devices', state.defaultAllow ? 'devices.allow' : 'devices.deny', 'a', '/devices');
  for (const ex of state.exceptions) push('devices', ex.allow ? 'devices.allow' : 'devices.deny', ruleText(ex), '/devices');
}

/** Every write that applies r. create: a new cgroup (device rules are set once, there). */
export function planV1(r: Resources, ctx: PlanContext, create: boolean): CgroupOp[] {
  const ops: CgroupOp[] = [];
  const push: Push = (controller, file, value, field, extra = {}) =>
    ops.push({ kind: 'write', controller, file, value: String(value), field, ...extra });
  cpu(r, ctx, push);
  devices(r, ctx, push, create);
  memory(r, ctx, push);
  pids(r, ctx, push);
  blkio(r, ctx, push);
  hugetlb(r, ctx, push);
  network(r, ctx, push);
  rdma(r, ctx, push);
  if (r.unified && Object.keys(r.unified).length) {
    const unified = ctx.view.unified;
    if (!unified) {
      throw new CgroupError('/unified', '', 'these are cgroup v2 files, and this host has only cgroup v1 (no cgroup2 mount); remove unified');
    }
    // Hybrid: the container's unified cgroup takes them, if its controllers are there.
    for (const op of planUnified(r.unified, { hasController: (c) => unified.controllers.has(c), has: (_c, f) => unified.has(f) })) {
      ops.push({ ...op, unified: true });
    }
  }
  return ops;
}
