// linux.resources.devices, as the v1 devices controller would hold them. The
// rules are applied in order to an emulator with the kernel's semantics
// (security/device_cgroup.c): a rule of type "a" resets to allow-all or
// deny-all; otherwise a rule either adds an exception or takes access away
// from the exception with the same type, major and minor. The result feeds
// both the v1 files and the v2 BPF program, so both behave alike.
import type { DeviceCgroup } from '../spec/types.js';
import { CgroupError } from './errors.js';

export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'c' | 'b';
  /** -1: any ("*"). */
  major: number;
  minor: number;
  /** A subset of "rwm", in that order. */
  access: string;
}

/** The result: what is allowed by default, and the exceptions to it. */
export interface DeviceState {
  defaultAllow: boolean;
  exceptions: DeviceRule[];
}

const rule = (type: 'c' | 'b', major: number, minor: number, access = 'rwm'): DeviceRule => ({ allow: true, type, major, minor, access });

/**
 * Appended after the config's rules, as runc (>= 1.2) does: mknod of any
 * device, and the devices every container gets (config-linux.md "Default
 * Devices"): null, zero, full, random, urandom, tty, ptmx and /dev/pts/*.
 */
export const DEFAULT_DEVICE_RULES: DeviceRule[] = [
  rule('c', -1, -1, 'm'),
  rule('b', -1, -1, 'm'),
  rule('c', 1, 3),
  rule('c', 1, 8),
  rule('c', 1, 7),
  rule('c', 5, 0),
  rule('c', 1, 5),
  rule('c', 1, 9),
  rule('c', 136, -1),
  rule('c', 5, 2),
];

function normalizeAccess(access: string | undefined, field: string): string {
  if (access === undefined || access === '') return 'rwm';
  if (!/^[rwm]+$/.test(access)) throw new CgroupError(field, 'devices', `access "${access}" may hold only r, w and m`);
  return ['r', 'w', 'm'].filter((c) => access.includes(c)).join('');
}

function checkNumber(n: number | undefined, field: string): number {
  if (n === undefined || n === -1) return -1;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new CgroupError(field, 'devices', `${n} is not a device number (0 to 4294967295, or leave it out for any)`);
  }
  return n;
}

/** The config's rules, checked, as DeviceRules ('/devices/3' names an entry). */
export function configDeviceRules(devices: DeviceCgroup[] | undefined): DeviceRule[] {
  return (devices ?? []).map((d, i) => {
    const field = `/devices/${i}`;
    const type = d.type ?? 'a';
    if (type !== 'a' && type !== 'c' && type !== 'b') {
      throw new CgroupError(`${field}/type`, 'devices', `"${type}" is not a device type: use "a" (all), "c" (char) or "b" (block)`);
    }
    return {
      allow: d.allow,
      type,
      major: checkNumber(d.major, `${field}/major`),
      minor: checkNumber(d.minor, `${field}/minor`),
      access: normalizeAccess(d.access, `${field}/access`),
    };
  });
}

const minus = (a: string, b: string) => [...a].filter((c) => !b.includes(c)).join('');
const union = (a: string, b: string) => ['r', 'w', 'm'].filter((c) => a.includes(c) || b.includes(c)).join('');
const same = (a: DeviceRule, b: DeviceRule) => a.type === b.type && a.major === b.major && a.minor === b.minor;

/**
 * Applies rules in order, starting from deny-all as runc does: a container
 * gets no device its config or the defaults do not allow.
 */
export function emulate(rules: DeviceRule[]): DeviceState {
  let state: DeviceState = { defaultAllow: false, exceptions: [] };
  for (const r of rules) {
    if (r.type === 'a') {
      // The kernel ignores major, minor and access of an "a" rule: it resets.
      state = { defaultAllow: r.allow, exceptions: [] };
      continue;
    }
    // An allow in a deny-by-default cgroup (or a deny in an allow-by-default
    // one) adds an exception; the opposite takes access from the same one.
    if (r.allow !== state.defaultAllow) {
      const ex = state.exceptions.find((e) => same(e, r));
      if (ex) ex.access = union(ex.access, r.access);
      else state.exceptions.push({ ...r, allow: !state.defaultAllow });
    } else {
      for (const ex of state.exceptions.filter((e) => same(e, r))) ex.access = minus(ex.access, r.access);
      state.exceptions = state.exceptions.filter((e) => e.access !== '');
    }
  }
  return state;
}

/** A rule in the devices.allow/deny syntax: "c 1:3 rwm", "b *:* m". */
export function ruleText(r: DeviceRule): string {
  const n = (x: number) => (x < 0 ? '*' : String(x));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/** The config's rules, then the defaults, emulated. */
export function containerDeviceState(devices: DeviceCgroup[] | undefined): DeviceState {
  return emulate([...configDeviceRules(devices), ...DEFAULT_DEVICE_RULES]);
}
