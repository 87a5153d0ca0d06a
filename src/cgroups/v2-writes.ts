// linux.resources on cgroup v2: the v1-shaped fields converted as runc and
// crun convert them (shares -> weight, memory+swap -> swap, blkio weight ->
// io.weight), `unified` written as given, and the device rules compiled to a
// BPF program. Fields with no v2 counterpart are refused by name.
import type { BlockIODeviceThrottle, Resources } from '../spec/types.js';
import { blkioToIoWeight, sharesToWeight, swapToV2, v2Limit } from './convert.js';
import { deviceProgram } from './device-bpf.js';
import { containerDeviceState } from './device-rules.js';
import { CgroupError } from './errors.js';
import { checkPageSize, needV2, planUnified, rdmaLine, asksAnything } from './common-writes.js';
import type { CgroupOp, FileWrite, PlanContext } from './writes.js';

type Push = (controller: string, file: string, value: string | number, field: string, extra?: Partial<FileWrite>) => void;

const noV2 = (field: string, controller: string, what: string) => new CgroupError(field, controller, `cgroup v2 has no ${what}; remove the field`);

function memory(r: Resources, ctx: PlanContext, push: Push): void {
  const m = r.memory;
  if (!m || !Object.values(m).some((v) => v !== undefined)) return;
  if (m.useHierarchy === false) {
    throw new CgroupError('/memory/useHierarchy', 'memory', 'cgroup v2 accounting is always hierarchical; remove useHierarchy or set it to true');
  }
  // kernel and kernelTCP are ignored (create warns: ignored.ts).
  if (m.swappiness !== undefined && m.swappiness !== -1) throw noV2('/memory/swappiness', 'memory', 'per-cgroup swappiness');
  if (m.disableOOMKiller) throw noV2('/memory/disableOOMKiller', 'memory', 'switch to disable the OOM killer');
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  if (!limit && !swap && !m.reservation) return;
  needV2(ctx.view, 'memory', '/memory');
  if (ctx.update && m.checkBeforeUpdate && limit > 0) {
    const usage = Number(ctx.view.read('memory', 'memory.current') ?? 0);
    if (limit < usage) {
      throw new CgroupError('/memory/limit', 'memory', `the new limit ${limit} is below the current usage ${usage} (checkBeforeUpdate is set)`);
    }
  }
  // swap is memory+swap: v2's swap.max is the swap alone, so it needs the limit.
  const converted = swapToV2(swap, limit || (swap > 0 ? ctx.current?.memory?.limit ?? 0 : limit));
  if (converted.error) throw new CgroupError('/memory/swap', 'memory', converted.error);
  if (converted.value !== undefined) {
    const value = converted.value === 0 && swap > 0 ? '0' : v2Limit(converted.value);
    if (ctx.view.has('memory', 'memory.swap.max')) push('memory', 'memory.swap.max', value, '/memory/swap');
    // No swap accounting: "unlimited" and "none" are what there is anyway (runc).
    else if (value !== 'max' && value !== '0') {
      throw new CgroupError('/memory/swap', 'memory', 'swap accounting is off on this host (no memory.swap.max): boot with swapaccount=1, or remove swap');
    }
  }
  if (limit) push('memory', 'memory.max', v2Limit(limit), '/memory/limit');
  if (m.reservation) push('memory', 'memory.low', v2Limit(m.reservation), '/memory/reservation');
}

function cpu(r: Resources, ctx: PlanContext, push: Push): void {
  const c = r.cpu;
  if (!c) return;
  if (c.realtimePeriod || c.realtimeRuntime) {
    throw new CgroupError(c.realtimeRuntime ? '/cpu/realtimeRuntime' : '/cpu/realtimePeriod', 'cpu',
      'cgroup v2 has no realtime CPU bandwidth (cpu.rt_* exist only in v1, with CONFIG_RT_GROUP_SCHED); remove realtimeRuntime and realtimePeriod');
  }
  if (c.cpus || c.mems) {
    needV2(ctx.view, 'cpuset', '/cpu');
    if (c.cpus) push('cpuset', 'cpuset.cpus', c.cpus, '/cpu/cpus');
    if (c.mems) push('cpuset', 'cpuset.mems', c.mems, '/cpu/mems');
  }
  if (!(c.shares || c.period || c.quota || c.burst !== undefined || c.idle !== undefined)) return;
  needV2(ctx.view, 'cpu', '/cpu');
  if (c.idle !== undefined) {
    if (!ctx.view.has('cpu', 'cpu.idle')) throw new CgroupError('/cpu/idle', 'cpu', 'this kernel has no cpu.idle (Linux 5.15 or later has it); remove idle');
    push('cpu', 'cpu.idle', c.idle, '/cpu/idle');
  }
  if (c.shares) {
    if (c.shares < 2 || c.shares > 262144) throw new CgroupError('/cpu/shares', 'cpu', `${c.shares} is out of range: shares is 2 to 262144`);
    push('cpu', 'cpu.weight', sharesToWeight(c.shares), '/cpu/shares');
  }
  if (c.burst !== undefined) {
    if (c.quota && c.quota > 0 && c.burst > c.quota) throw new CgroupError('/cpu/burst', 'cpu', `burst (${c.burst}) must not exceed quota (${c.quota})`);
    push('cpu', 'cpu.max.burst', c.burst, '/cpu/burst');
  }
  if (c.quota || c.period) {
    // "$MAX $PERIOD": a period alone keeps the quota unlimited, a quota alone keeps the period.
    const quota = c.quota && c.quota > 0 ? String(c.quota) : 'max';
    const period = c.period ?? (c.quota ? ctx.current?.cpu?.period : undefined);
    push('cpu', 'cpu.max', period ? `${quota} ${period}` : quota, c.quota ? '/cpu/quota' : '/cpu/period');
  }
}

const THROTTLES: [keyof NonNullable<Resources['blockIO']>, string][] = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
];

function io(r: Resources, ctx: PlanContext, push: Push): void {
  const b = r.blockIO;
  if (!b || !asksAnything(b)) return;
  if (b.leafWeight) throw noV2('/blockIO/leafWeight', 'io', 'leaf weights (they were CFQ-only)');
  needV2(ctx.view, 'io', '/blockIO');
  // BFQ takes blkio's own 1..1000 weights; otherwise io.weight's 1..10000 (runc's order).
  const bfq = ctx.view.has('io', 'io.bfq.weight');
  const noWeight = (field: string) => new CgroupError(field, 'io', 'this kernel has neither io.bfq.weight nor io.weight: weights cannot be set');
  if (b.weight) {
    if (b.weight < 10 || b.weight > 1000) throw new CgroupError('/blockIO/weight', 'io', `${b.weight} is out of range: weight is 10 to 1000`);
    if (bfq) push('io', 'io.bfq.weight', b.weight, '/blockIO/weight');
    else if (ctx.view.has('io', 'io.weight')) push('io', 'io.weight', `default ${blkioToIoWeight(b.weight)}`, '/blockIO/weight');
    else throw noWeight('/blockIO/weight');
  }
  (b.weightDevice ?? []).forEach((d, i) => {
    const field = `/blockIO/weightDevice/${i}`;
    if (d.leafWeight !== undefined) throw noV2(`${field}/leafWeight`, 'io', 'leaf weights (they were CFQ-only)');
    if (d.weight === undefined) throw new CgroupError(field, 'io', 'give a weight');
    if (bfq) push('io', 'io.bfq.weight', `${d.major}:${d.minor} ${d.weight}`, `${field}/weight`);
    else if (ctx.view.has('io', 'io.weight')) push('io', 'io.weight', `${d.major}:${d.minor} ${blkioToIoWeight(d.weight)}`, `${field}/weight`);
    else throw noWeight(`${field}/weight`);
  });
  for (const [key, name] of THROTTLES) {
    ((b[key] as BlockIODeviceThrottle[] | undefined) ?? []).forEach((d, i) =>
      push('io', 'io.max', `${d.major}:${d.minor} ${name}=${d.rate ? d.rate : 'max'}`, `/blockIO/${key}/${i}`),
    );
  }
}

function hugetlb(r: Resources, ctx: PlanContext, push: Push): void {
  const limits = r.hugepageLimits ?? [];
  if (!limits.length) return;
  needV2(ctx.view, 'hugetlb', '/hugepageLimits');
  limits.forEach((h, i) => {
    const field = `/hugepageLimits/${i}`;
    checkPageSize(h.pageSize, ctx.hugepageSizes, `${field}/pageSize`, 'hugetlb');
    push('hugetlb', `hugetlb.${h.pageSize}.max`, h.limit, `${field}/limit`);
    const rsvd = `hugetlb.${h.pageSize}.rsvd.max`;
    if (ctx.view.has('hugetlb', rsvd)) push('hugetlb', rsvd, h.limit, `${field}/limit`);
  });
}

/** Every operation that applies r to a v2 cgroup. create: a new cgroup (the device program is attached once, there). */
export function planV2(r: Resources, ctx: PlanContext, create: boolean): CgroupOp[] {
  const ops: CgroupOp[] = [];
  const push: Push = (controller, file, value, field, extra = {}) =>
    ops.push({ kind: 'write', controller, file, value: String(value), field, ...extra });
  if (r.network && (r.network.classID !== undefined || r.network.priorities?.length)) {
    throw new CgroupError('/network', 'net_cls/net_prio', 'these controllers exist only in cgroup v1 (on v2, classify traffic with nftables "socket cgroupv2" or BPF); remove network');
  }
  if (create) {
    ops.push({ kind: 'bpf', program: deviceProgram(containerDeviceState(r.devices)), field: '/devices' });
  } else if (r.devices?.length) {
    throw new CgroupError('/devices', 'devices', 'update does not change device rules (neither does runc): recreate the container');
  }
  cpu(r, ctx, push);
  memory(r, ctx, push);
  if (r.pids?.limit) {
    needV2(ctx.view, 'pids', '/pids/limit');
    push('pids', 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max', '/pids/limit');
  }
  io(r, ctx, push);
  hugetlb(r, ctx, push);
  for (const [dev, l] of Object.entries(r.rdma ?? {})) {
    needV2(ctx.view, 'rdma', `/rdma/${dev}`);
    push('rdma', 'rdma.max', rdmaLine(dev, l, `/rdma/${dev}`, 'rdma'), `/rdma/${dev}`);
  }
  // Raw keys last, so they override what the conversions wrote (runc's order).
  if (r.unified) ops.push(...planUnified(r.unified, ctx.view));
  return ops;
}
