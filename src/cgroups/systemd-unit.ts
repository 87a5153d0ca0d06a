// The systemd cgroup driver's planning, pure: which unit a container gets
// ("slice:prefix:name" -> <prefix>-<name>.scope in <slice>), where its cgroup
// then is, and the unit properties its linux.resources and its
// org.systemd.property.* annotations become (runc's mapping).
import fs from 'node:fs';
import type { Config, Resources } from '../spec/types.js';
import { PlanError } from '../core/errors.js';
import { CgroupError } from './errors.js';
import { parseList, sharesToWeight, swapToV2 } from './convert.js';
import { containerDeviceState, type DeviceRule } from './device-rules.js';

/** A D-Bus variant as the bus library marshals it: [signature, value]. */
export type Variant = [string, unknown];
/** One unit property: the a(sv) entry of StartTransientUnit / SetUnitProperties. */
export type UnitProperty = [string, Variant];

/** What the driver records about the container's unit (in its cgroup record). */
export interface SystemdUnit {
  /** The transient scope, e.g. "tsrun-c1.scope". */
  unit: string;
  /** The slice it is in, e.g. "system.slice". */
  slice: string;
}

/** The driver's part of a cgroup record (record.ts). */
export interface SystemdRecord extends SystemdUnit {
  /** The container's id, for the unit's description. */
  id: string;
  /** Only until the scope is started: the properties planned from the config (all but PIDs). */
  start?: UnitProperty[];
}

/** The runtime's prefix in the default "system.slice:tsrun:<id>" (runc's is "runc"). */
export const DEFAULT_PREFIX = 'tsrun';
export const DEFAULT_SLICE = 'system.slice';

/** uint64's maximum: systemd's "infinity". */
const INFINITY = '18446744073709551615';

const validUnitChars = /^[A-Za-z0-9:_.\\@-]+$/;

/**
 * The unit of cgroupsPath "slice:prefix:name" (empty: "system.slice:tsrun:<id>").
 * An empty slice is system.slice, as in runc.
 */
export function systemdUnitOf(cgroupsPath: string | undefined, id: string): SystemdUnit {
  const given = cgroupsPath ?? '';
  if (given === '') return { unit: `${DEFAULT_PREFIX}-${id}.scope`, slice: DEFAULT_SLICE };
  const parts = given.split(':');
  if (parts.length !== 3) {
    throw new PlanError('/linux/cgroupsPath', `"${given}" is not a systemd path: with --systemd-cgroup it must be "slice:prefix:name", e.g. "system.slice:tsrun:c1"`);
  }
  const [slice, prefix, name] = parts;
  if (name === '') throw new PlanError('/linux/cgroupsPath', `"${given}" has no name: give "slice:prefix:name", e.g. "system.slice:tsrun:c1"`);
  if (name.endsWith('.slice')) {
    throw new PlanError('/linux/cgroupsPath', `"${given}" names a slice ("${name}"): a container's unit is a scope; give a name without ".slice"`);
  }
  const unit = `${prefix}-${name}.scope`;
  if (!validUnitChars.test(unit) || unit.length > 255) {
    throw new PlanError('/linux/cgroupsPath', `"${given}" gives the unit name "${unit}", which systemd refuses: use letters, digits and ":_.\\@-" only, at most 255 in all`);
  }
  const s = slice === '' ? DEFAULT_SLICE : slice;
  expandSlice(s); // checked now, before anything starts
  return { unit, slice: s };
}

/**
 * The cgroup path of a slice, as systemd lays it out: "a-b.slice" is
 * /a.slice/a-b.slice, "-.slice" is the root.
 */
export function expandSlice(slice: string): string {
  const bad = (why: string) => new PlanError('/linux/cgroupsPath', `"${slice}" is not a slice name: ${why}`);
  if (!slice.endsWith('.slice') || slice.includes('/')) throw bad('it must end in ".slice" and hold no "/"');
  if (slice === '-.slice') return '';
  const name = slice.slice(0, -'.slice'.length);
  if (name === '' || name.startsWith('-') || name.endsWith('-') || name.includes('--')) throw bad('its "-" separated parts must not be empty');
  if (!validUnitChars.test(name)) throw bad('use letters, digits and ":_.\\@-" only');
  let out = '';
  let prefix = '';
  for (const part of name.split('-')) {
    prefix = prefix ? `${prefix}-${part}` : part;
    out += `/${prefix}.slice`;
  }
  return out;
}

/** The scope's cgroup path from the hierarchy root: /system.slice/tsrun-c1.scope. */
export function unitCgroupPath(u: SystemdUnit): string {
  return `${expandSlice(u.slice)}/${u.unit}`;
}

const u64 = (n: number): Variant => ['t', n === -1 ? INFINITY : String(n)];

/** A cpuset list ("0-3,8") as systemd's byte mask: bit c of byte c/8 for CPU (or node) c. */
export function listToMask(list: string, field: string): number[] {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list.trim())) throw new CgroupError(field, 'cpuset', `"${list}" is not a list such as "0-3,8"`);
  const nums = parseList(list);
  const mask: number[] = [];
  for (const n of nums) {
    const byte = n >> 3;
    while (mask.length <= byte) mask.push(0);
    mask[byte] |= 1 << (n & 7);
  }
  return mask;
}

/**
 * runc's CPUQuotaPerSecUSec: quota per second, rounded up to systemd's 1%
 * step (10 ms); no quota (or -1) is infinity. The period goes as
 * CPUQuotaPeriodUSec when given.
 */
function cpuQuotaProperties(quota: number | undefined, period: number | undefined): UnitProperty[] {
  const out: UnitProperty[] = [];
  if (!quota && !period) return out;
  const p = period || 100_000;
  if (period) out.push(['CPUQuotaPeriodUSec', u64(period)]);
  if (!quota || quota < 0) {
    out.push(['CPUQuotaPerSecUSec', ['t', INFINITY]]);
  } else {
    let perSec = Math.floor((quota * 1_000_000) / p);
    if (perSec % 10_000) perSec = (Math.floor(perSec / 10_000) + 1) * 10_000;
    out.push(['CPUQuotaPerSecUSec', u64(perSec)]);
  }
  return out;
}

/** /proc/devices: the char and block drivers' names by major, for DeviceAllow's "char-<name>". */
export function readProcDevices(file = '/proc/devices'): { c: Map<number, string>; b: Map<number, string> } {
  const out = { c: new Map<number, string>(), b: new Map<number, string>() };
  let map: Map<number, string> | undefined;
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('Character')) map = out.c;
    else if (line.startsWith('Block')) map = out.b;
    else {
      const m = /^\s*(\d+)\s+(\S+)/.exec(line);
      if (m && map) map.set(Number(m[1]), m[2]);
    }
  }
  return out;
}

/**
 * The device allow-list as DevicePolicy and DeviceAllow (runc's way).
 * systemd has no deny-list: a config that allows all by default gets
 * DevicePolicy=auto and relies on tsrun's own device program, as in runc.
 */
export function deviceProperties(devices: Resources['devices'], procDevices = readProcDevices()): { props: UnitProperty[]; warnings: string[] } {
  const state = containerDeviceState(devices);
  if (state.defaultAllow) return { props: [['DevicePolicy', ['s', 'auto']], ['DeviceAllow', ['a(ss)', []]]], warnings: [] };
  const allow: [string, string][] = [];
  const warnings: string[] = [];
  const kind = (r: DeviceRule) => (r.type === 'c' ? 'char' : 'block');
  for (const r of state.exceptions) {
    if (r.major < 0) allow.push([`${kind(r)}-*`, r.access]);
    else if (r.minor >= 0) allow.push([`/dev/${kind(r)}/${r.major}:${r.minor}`, r.access]);
    else {
      const name = procDevices[r.type as 'c' | 'b'].get(r.major);
      if (name) allow.push([`${kind(r)}-${name}`, r.access]);
      else warnings.push(`systemd cannot allow ${r.type} ${r.major}:* (no such major in /proc/devices): tsrun's device program still does`);
    }
  }
  return { props: [['DevicePolicy', ['s', 'strict']], ['DeviceAllow', ['a(ss)', allow]]], warnings };
}

/** runc's conversions of linux.resources.unified keys systemd has properties for; the rest go to cgroupfs only. */
function unifiedProperties(unified: Record<string, string> | undefined): UnitProperty[] {
  const out: UnitProperty[] = [];
  const memory: Record<string, string> = {
    'memory.high': 'MemoryHigh', 'memory.low': 'MemoryLow', 'memory.min': 'MemoryMin', 'memory.max': 'MemoryMax', 'memory.swap.max': 'MemorySwapMax',
  };
  for (const [key, raw] of Object.entries(unified ?? {})) {
    const v = raw.trim();
    const field = `/unified/${key}`;
    const num = (s: string) => {
      if (s === 'max') return INFINITY;
      if (!/^\d+$/.test(s)) throw new CgroupError(field, key.split('.')[0], `"${raw}" is not a number or "max"`);
      return s;
    };
    if (memory[key]) out.push([memory[key], ['t', num(v)]]);
    else if (key === 'pids.max') out.push(['TasksMax', ['t', num(v)]]);
    else if (key === 'cpu.weight') out.push(['CPUWeight', ['t', num(v)]]);
    else if (key === 'cpuset.cpus') out.push(['AllowedCPUs', ['ay', listToMask(v, field)]]);
    else if (key === 'cpuset.mems') out.push(['AllowedMemoryNodes', ['ay', listToMask(v, field)]]);
    else if (key === 'cpu.max') {
      const [q, p] = v.split(/\s+/);
      out.push(...cpuQuotaProperties(q === 'max' ? -1 : Number(num(q)), p === undefined ? undefined : Number(num(p))));
    }
  }
  return out;
}

/**
 * linux.resources as unit properties (runc's genV2ResourcesProperties).
 * devices: on create only (update cannot change them).
 */
export function resourceProperties(r: Resources, opts: { devices: boolean; procDevices?: ReturnType<typeof readProcDevices> }): { props: UnitProperty[]; warnings: string[] } {
  const props: UnitProperty[] = [];
  let warnings: string[] = [];
  if (opts.devices) {
    const d = deviceProperties(r.devices, opts.procDevices);
    props.push(...d.props);
    warnings = d.warnings;
  }
  const mem = r.memory;
  if (mem?.limit) props.push(['MemoryMax', u64(mem.limit)]);
  if (mem?.reservation) props.push(['MemoryLow', u64(mem.reservation)]);
  if (mem) {
    const swap = swapToV2(mem.swap ?? 0, mem.limit ?? 0);
    if (swap.error) throw new CgroupError('/memory/swap', 'memory', swap.error);
    if (swap.value !== undefined) props.push(['MemorySwapMax', u64(swap.value)]);
  }
  const cpu = r.cpu;
  if (cpu?.shares) props.push(['CPUWeight', u64(sharesToWeight(cpu.shares))]);
  props.push(...cpuQuotaProperties(cpu?.quota, cpu?.period));
  if (cpu?.cpus) props.push(['AllowedCPUs', ['ay', listToMask(cpu.cpus, '/cpu/cpus')]]);
  if (cpu?.mems) props.push(['AllowedMemoryNodes', ['ay', listToMask(cpu.mems, '/cpu/mems')]]);
  const pids = r.pids?.limit;
  if (pids !== undefined && (pids > 0 || pids === -1)) props.push(['TasksMax', u64(pids)]);
  props.push(...unifiedProperties(r.unified));
  return { props, warnings };
}

export const PROPERTY_ANNOTATION = 'org.systemd.property.';

/**
 * The org.systemd.property.<Name> annotations as unit properties. Values are
 * GVariant text, as runc reads them ("true", "uint64 1024", "'text'",
 * "['a', 'b']"); a <Name>Sec property becomes <Name>USec in microseconds.
 */
export function annotationProperties(annotations: Config['annotations']): UnitProperty[] {
  const out: UnitProperty[] = [];
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(PROPERTY_ANNOTATION)) continue;
    let name = key.slice(PROPERTY_ANNOTATION.length);
    const where = `/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new PlanError(where, `"${name}" is not a systemd property name (e.g. CPUQuota, TimeoutStopSec)`);
    let value = parseGVariant(text, where);
    if (name.endsWith('Sec') && !name.endsWith('USec')) {
      if (!/^[ynqiuxtd]$/.test(value[0])) throw new PlanError(where, `"${text}": ${name} takes a number of seconds`);
      const usec = BigInt(Math.round(Number(value[1]) * 1_000_000));
      if (usec < 0n) throw new PlanError(where, `"${text}": ${name} cannot be negative`);
      name = `${name.slice(0, -3)}USec`;
      value = ['t', usec.toString()];
    }
    out.push([name, value]);
  }
  return out;
}

const INT_TYPES: Record<string, [string, bigint, bigint]> = {
  byte: ['y', 0n, 255n], int16: ['n', -(2n ** 15n), 2n ** 15n - 1n], uint16: ['q', 0n, 2n ** 16n - 1n],
  int32: ['i', -(2n ** 31n), 2n ** 31n - 1n], uint32: ['u', 0n, 2n ** 32n - 1n],
  int64: ['x', -(2n ** 63n), 2n ** 63n - 1n], uint64: ['t', 0n, 2n ** 64n - 1n],
};
const BY_CODE = Object.fromEntries(Object.entries(INT_TYPES).map(([k, v]) => [`@${v[0]}`, k]));

/** The subset of GVariant's text format that unit properties take: booleans, numbers, strings, arrays of strings. */
export function parseGVariant(text: string, where: string): Variant {
  const t = text.trim();
  const fail = () =>
    new PlanError(where, `"${text}" is not a value tsrun can pass to systemd: use GVariant text such as true, uint64 1024, 'text' or ['a', 'b']`);
  if (t === 'true' || t === 'false') return ['b', t === 'true'];
  const str = /^'((?:[^'\\]|\\.)*)'$|^"((?:[^"\\]|\\.)*)"$/.exec(t);
  if (str) return ['s', (str[1] ?? str[2]).replace(/\\(.)/g, '$1')];
  const arr = /^\[(.*)\]$/s.exec(t);
  if (arr) {
    const items = arr[1].trim() === '' ? [] : arr[1].split(',').map((s) => parseGVariant(s, where));
    if (items.some((i) => i[0] !== 's')) throw fail();
    return ['as', items.map((i) => i[1])];
  }
  const typed = /^(byte|int16|uint16|int32|uint32|int64|uint64|@[ynqiuxt])\s+(-?\d+)$/.exec(t);
  const bare = /^-?\d+$/.test(t) ? t : undefined;
  if (typed || bare !== undefined) {
    const type = typed ? (typed[1].startsWith('@') ? BY_CODE[typed[1]] : typed[1]) : 'int32';
    const [code, min, max] = INT_TYPES[type];
    const n = BigInt(typed ? typed[2] : bare!);
    if (n < min || n > max) throw new PlanError(where, `"${text}" is out of range for ${type}`);
    return [code, code === 'x' || code === 't' ? n.toString() : Number(n)];
  }
  const dbl = /^(?:double\s+|@d\s+)?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)$/.exec(t);
  if (dbl) return ['d', Number(dbl[1])];
  throw fail();
}

/** The properties every container's scope starts with, runc's set. */
export function baseProperties(u: SystemdUnit, id: string, pid: number): UnitProperty[] {
  return [
    ['Description', ['s', `tsrun container ${id}`]],
    ['Slice', ['s', u.slice]],
    ['PIDs', ['au', [pid]]],
    ['Delegate', ['b', true]],
    ['MemoryAccounting', ['b', true]],
    ['CPUAccounting', ['b', true]],
    ['IOAccounting', ['b', true]],
    ['TasksAccounting', ['b', true]],
    ['DefaultDependencies', ['b', false]],
  ];
}
