// Facts about this host that planning depends on, read once per command from
// /proc and /sys. Planning takes them as plain data so unit tests can fake them.
import fs from 'node:fs';
import { runningInUserNs } from './rootless.js';
import os from 'node:os';
import { RLIMIT_NOFILE } from './rlimits.js';
import { parseOnlineNodes } from './mempolicy.js';

export interface HostFacts {
  /** The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap). */
  lastCap: number;
  /** Our own effective capabilities. */
  capEff: bigint;
  /** Our hard rlimits by RLIMIT_* index; Infinity for unlimited. */
  hardLimits: number[];
  apparmorEnabled: boolean;
  selinuxEnabled: boolean;
  /** The most supplementary groups a process may have (/proc/sys/kernel/ngroups_max); absent: 65536. */
  ngroupsMax?: number;
  /** The online NUMA nodes (/sys/devices/system/node/online); absent on a kernel without NUMA. */
  onlineNodes?: number[];
  /** tsrun runs in a user namespace other than the initial one (rootless podman's runtime, say). */
  inUserNs?: boolean;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** /proc/<pid>/limits rows are in RLIMIT_* order; the hard limit is the second value. */
export function parseHardLimits(text: string): number[] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('Max '))
    .map((l) => {
      const hard = l.slice(26).trim().split(/\s+/)[1];
      return hard === 'unlimited' ? Infinity : Number(hard);
    });
}

export function parseCapEff(status: string): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** Our soft RLIMIT_NOFILE (node raised it to the hard one): no fd at or above it can be open or made. */
export function openFileLimit(): number {
  const row = readOr('/proc/self/limits', '').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = row?.slice(26).trim().split(/\s+/)[0];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

let cached: HostFacts | undefined;

export function readHostFacts(): HostFacts {
  cached ??= {
    lastCap: Number(readOr('/proc/sys/kernel/cap_last_cap', '40').trim()),
    capEff: parseCapEff(readOr('/proc/self/status', '')),
    hardLimits: parseHardLimits(readOr('/proc/self/limits', '')),
    apparmorEnabled: readOr('/sys/module/apparmor/parameters/enabled', 'N').trim() === 'Y',
    selinuxEnabled: fs.existsSync('/sys/fs/selinux/enforce'),
    ngroupsMax: Number(readOr('/proc/sys/kernel/ngroups_max', '65536').trim()),
    onlineNodes: parseOnlineNodes(readOr('/sys/devices/system/node/online', '')),
    inUserNs: runningInUserNs(readOr('/proc/self/uid_map', '0 0 4294967295')),
  };
  return cached;
}

/**
 * The RLIMIT_NOFILE we were started with: bin/tsrun records the soft limit
 * before node raises it; the hard limit node leaves alone.
 */
export function inheritedNofile(): [number, number] | undefined {
  const soft = process.env.TSRUN_INHERITED_NOFILE;
  if (!soft || !/^\d+$/.test(soft)) return undefined;
  const parsed = readHostFacts().hardLimits[RLIMIT_NOFILE];
  const hard = parsed !== undefined && Number.isFinite(parsed) ? parsed : Number(soft);
  return [Math.min(Number(soft), hard), hard];
}

/**
 * True when the namespace file at nsPath is tsrun's own namespace of that
 * type (same nsfs device and inode as /proc/self/ns/<type>). A path that
 * cannot be read is not ours: joining it fails later with the reason.
 */
export function isOwnNamespace(nsPath: string, procName: string): boolean {
  try {
    const theirs = fs.statSync(nsPath);
    const ours = fs.statSync(`/proc/self/ns/${procName}`);
    return theirs.dev === ours.dev && theirs.ino === ours.ino;
  } catch {
    return false;
  }
}

/**
 * Can this kernel idmap a bind mount? mount_setattr(MOUNT_ATTR_IDMAP) came in
 * Linux 5.12 (each filesystem must allow it too: init explains one that does not).
 */
export function idmappedMountsWork(release: string = os.release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 5 || (major === 5 && minor >= 12);
}
