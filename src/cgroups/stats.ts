// `events --stats`: runc's JSON shapes (runc's types/events.go), keys and
// omitempty rules included, read from the v1 files or the v2 ones. Counters
// are uint64: past 2^53 they are bigints, and statsJson prints them exactly.
import fs from 'node:fs';
import path from 'node:path';
import type { Cgroup } from './cgroup.js';
import type { CgroupRecord } from './record.js';
import { parseList } from './convert.js';
import { readText } from './fs.js';

/** A uint64: a number while exact, a bigint beyond. */
export type U64 = number | bigint;

export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: U64;
}

export interface MemoryEntry {
  limit: U64;
  usage?: U64;
  max?: U64;
  failcnt: U64;
}

export interface Stats {
  cpu: {
    usage: { total?: U64; percpu?: U64[]; percpu_kernel?: U64[]; percpu_user?: U64[]; kernel: U64; user: U64 };
    throttling: { periods?: U64; throttled_periods?: U64; throttled_time?: U64 };
  };
  cpuset: Record<string, unknown>;
  memory: { cache?: U64; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw?: Record<string, U64> };
  pids: { current?: U64; limit?: U64 };
  blkio: Record<string, BlkioEntry[]>;
  hugetlb: Record<string, { usage?: U64; max?: U64; failcnt: U64 }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

/** JSON as Go's encoder writes it here: bigints as plain digits. */
export function statsJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `\u0000${v}` : v)).replace(/"\\u0000(\d+)"/g, '$1');
}

// Go's encoding/json leaves out zero values of omitempty fields.
function omitZero<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === 0 || v === 0n || v === '' || (Array.isArray(v) && v.length === 0)) delete (o as Record<string, unknown>)[k];
  }
  return o;
}

function u64(digits: string): U64 {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : BigInt(digits);
}

const num = (text: string | undefined): U64 => {
  const t = text?.trim();
  return t && /^\d+$/.test(t) ? u64(t) : 0;
};

const add = (a: U64, b: U64): U64 => u64(String(BigInt(a) + BigInt(b)));
const times = (a: U64 | undefined, k: number): U64 => u64(String(BigInt(a ?? 0) * BigInt(k)));

/** "key value" lines, values as uint64 (memory.stat holds 2^63-ish limits). */
function keyed(text: string | undefined): Record<string, U64> {
  const out: [string, U64][] = [];
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.push([k, u64(v)]);
  }
  // Sorted, as Go encodes a map.
  return Object.fromEntries(out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** "max" in v2 is runc's math.MaxUint64. */
const MAX_UINT64 = 18446744073709551615n;
const limitOf = (text: string | undefined): U64 => (text?.trim() === 'max' ? MAX_UINT64 : num(text));

const USER_HZ_NS = 1e9 / 100;

function memoryEntry(dir: string, prefix: string): MemoryEntry {
  const f = (name: string) => path.join(dir, `${prefix}${name}`);
  const usage = num(readText(f('usage_in_bytes')));
  const max = num(readText(f('max_usage_in_bytes')));
  return { limit: num(readText(f('limit_in_bytes'))), ...omitZero({ usage, max }), failcnt: num(readText(f('failcnt'))) };
}

/** Blkio lines "8:0 Read 4096"; a trailing "Total N" line is not an entry. */
function blkioEntries(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const [major, minor] = f[0].split(':').map(Number);
    out.push(omitZero({ major, minor, op: f[1], value: u64(f[2]) }));
  }
  return out;
}

const BLKIO_FILES: [string, string[]][] = [
  // BFQ first, then the throttle counters (runc's fallback order).
  ['ioServiceBytesRecursive', ['blkio.bfq.io_service_bytes_recursive', 'blkio.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive']],
  ['ioServicedRecursive', ['blkio.bfq.io_serviced_recursive', 'blkio.io_serviced_recursive', 'blkio.throttle.io_serviced_recursive']],
];

function hugetlbV1(dir: string): Stats['hugetlb'] {
  const out: Stats['hugetlb'] = {};
  for (const f of safeList(dir)) {
    const m = /^hugetlb\.(\w+)\.usage_in_bytes$/.exec(f);
    if (!m) continue;
    const p = (n: string) => path.join(dir, `hugetlb.${m[1]}.${n}`);
    out[m[1]] = { ...omitZero({ usage: num(readText(p('usage_in_bytes'))), max: num(readText(p('max_usage_in_bytes'))) }), failcnt: num(readText(p('failcnt'))) };
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Go's zero Stats: what runc prints for a container with no cgroup (nothing is counted). */
export function emptyStats(): Stats {
  // runc's CPUSetStats flags are not omitempty: Go prints them as zeros.
  const flags = ['cpu_exclusive', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level'];
  return { ...base(), cpuset: Object.fromEntries(flags.map((f) => [f, 0])) };
}

function base(): Stats {
  return {
    cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
    cpuset: {},
    memory: { usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } },
    pids: {},
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

export function statsV1(record: CgroupRecord): Stats {
  const s = base();
  const dir = (c: string) => record.v1.find((h) => h.controllers.includes(c))?.dir;
  const cpuacct = dir('cpuacct');
  if (cpuacct) {
    const all = (readText(path.join(cpuacct, 'cpuacct.usage_all')) ?? '').split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/).map(u64));
    const stat = keyed(readText(path.join(cpuacct, 'cpuacct.stat')));
    s.cpu.usage = {
      ...omitZero({
        total: num(readText(path.join(cpuacct, 'cpuacct.usage'))),
        percpu: (readText(path.join(cpuacct, 'cpuacct.usage_percpu')) ?? '').trim().split(/\s+/).filter(Boolean).map(u64),
        percpu_kernel: all.map((r) => r[2]),
        percpu_user: all.map((r) => r[1]),
      }),
      kernel: times(stat.system, USER_HZ_NS),
      user: times(stat.user, USER_HZ_NS),
    };
  }
  const cpu = dir('cpu');
  if (cpu) {
    const st = keyed(readText(path.join(cpu, 'cpu.stat')));
    s.cpu.throttling = omitZero({ periods: st.nr_periods, throttled_periods: st.nr_throttled, throttled_time: st.throttled_time });
  }
  const cpuset = dir('cpuset');
  if (cpuset) {
    const r = (f: string) => readText(path.join(cpuset, `cpuset.${f}`)) ?? '';
    s.cpuset = {
      ...omitZero({ cpus: parseList(r('cpus')) }),
      cpu_exclusive: num(r('cpu_exclusive')),
      ...omitZero({ mems: parseList(r('mems')) }),
      mem_hardwall: num(r('mem_hardwall')),
      mem_exclusive: num(r('mem_exclusive')),
      memory_migrate: num(r('memory_migrate')),
      memory_spread_page: num(r('memory_spread_page')),
      memory_spread_slab: num(r('memory_spread_slab')),
      memory_pressure: num(r('memory_pressure')),
      sched_load_balance: num(r('sched_load_balance')),
      sched_relax_domain_level: Number(r('sched_relax_domain_level').trim() || 0),
    };
  }
  const memory = dir('memory');
  if (memory) {
    const raw = keyed(readText(path.join(memory, 'memory.stat')));
    s.memory = {
      ...omitZero({ cache: raw.cache ?? 0 }),
      usage: memoryEntry(memory, 'memory.'),
      swap: memoryEntry(memory, 'memory.memsw.'),
      kernel: memoryEntry(memory, 'memory.kmem.'),
      kernelTCP: memoryEntry(memory, 'memory.kmem.tcp.'),
      ...(Object.keys(raw).length ? { raw } : {}),
    };
  }
  const pids = dir('pids');
  if (pids) s.pids = omitZero({ current: num(readText(path.join(pids, 'pids.current'))), limit: num(readText(path.join(pids, 'pids.max'))) });
  const blkio = dir('blkio');
  if (blkio) {
    for (const [key, files] of BLKIO_FILES) {
      for (const f of files) {
        const entries = blkioEntries(readText(path.join(blkio, f)));
        if (entries.length) {
          s.blkio[key] = entries;
          break;
        }
      }
    }
  }
  const hugetlb = dir('hugetlb');
  if (hugetlb) s.hugetlb = hugetlbV1(hugetlb);
  else if (record.unified) s.hugetlb = hugetlbV2(record.unified.dir);
  return s;
}

function hugetlbV2(dir: string): Stats['hugetlb'] {
  const out: Stats['hugetlb'] = {};
  for (const f of safeList(dir)) {
    const m = /^hugetlb\.(\w+)\.current$/.exec(f);
    if (!m) continue;
    const events = keyed(readText(path.join(dir, `hugetlb.${m[1]}.events`)));
    out[m[1]] = { ...omitZero({ usage: num(readText(path.join(dir, f))) }), failcnt: events.max ?? 0 };
  }
  return out;
}

export function statsV2(record: CgroupRecord): Stats {
  const s = base();
  const dir = record.unified!.dir;
  const r = (f: string) => readText(path.join(dir, f));
  const cpu = keyed(r('cpu.stat'));
  s.cpu.usage = { ...omitZero({ total: times(cpu.usage_usec, 1000) }), kernel: times(cpu.system_usec, 1000), user: times(cpu.user_usec, 1000) };
  s.cpu.throttling = omitZero({ periods: cpu.nr_periods, throttled_periods: cpu.nr_throttled, throttled_time: times(cpu.throttled_usec, 1000) });
  const cpus = r('cpuset.cpus.effective');
  if (cpus !== undefined) {
    s.cpuset = { ...omitZero({ cpus: parseList(cpus) }), cpu_exclusive: 0, ...omitZero({ mems: parseList(r('cpuset.mems.effective') ?? '') }),
      mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0, memory_spread_slab: 0, memory_pressure: 0,
      sched_load_balance: 0, sched_relax_domain_level: 0 };
  }
  if (r('memory.current') !== undefined) {
    const raw = keyed(r('memory.stat'));
    const events = keyed(r('memory.events'));
    const usage = num(r('memory.current'));
    const limit = limitOf(r('memory.max'));
    const swapUsage = num(r('memory.swap.current'));
    const swapLimit = limitOf(r('memory.swap.max'));
    // v1 reported memory+swap as "swap": runc reports v2 the same way.
    s.memory = {
      ...omitZero({ cache: raw.file ?? 0 }),
      usage: { limit, ...omitZero({ usage, max: num(r('memory.peak')) }), failcnt: events.max ?? 0 },
      swap: { limit: swapLimit === MAX_UINT64 || limit === MAX_UINT64 ? MAX_UINT64 : add(swapLimit, limit), ...omitZero({ usage: add(swapUsage, usage), max: num(r('memory.swap.peak')) }), failcnt: events.max ?? 0 },
      kernel: { limit: 0, failcnt: 0 },
      kernelTCP: { limit: 0, failcnt: 0 },
      ...(Object.keys(raw).length ? { raw } : {}),
    };
  }
  if (r('pids.current') !== undefined) s.pids = omitZero({ current: num(r('pids.current')), limit: num(r('pids.max')) });
  const io = r('io.stat');
  if (io) {
    const bytes: BlkioEntry[] = [];
    const ios: BlkioEntry[] = [];
    for (const line of io.split('\n')) {
      const [dev, ...kv] = line.trim().split(/\s+/);
      if (!dev) continue;
      const [major, minor] = dev.split(':').map(Number);
      const v = Object.fromEntries(kv.map((p) => p.split('=')).map(([k, x]) => [k, u64(x)]));
      bytes.push(omitZero({ major, minor, op: 'Read', value: v.rbytes }), omitZero({ major, minor, op: 'Write', value: v.wbytes }));
      ios.push(omitZero({ major, minor, op: 'Read', value: v.rios }), omitZero({ major, minor, op: 'Write', value: v.wios }));
    }
    if (bytes.length) s.blkio = { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
  }
  s.hugetlb = hugetlbV2(dir);
  return s;
}

/** The container's cgroup's stats (events --stats), from its files. */
export function cgroupStats(cg: Cgroup): Stats {
  return cg.record.mode === 'v2' ? statsV2(cg.record) : statsV1(cg.record);
}
