// process.capabilities: names to bit masks. Names tsrun knows but this kernel
// lacks, and names nobody knows, are dropped with a warning naming them, as
// runc 1.2+ does, rather than failing the container.
import type { Capabilities, CapabilitySet } from '../spec/types.js';

/** Linux capability numbers (include/uapi/linux/capability.h), index = number. */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export const CAP_SYS_RESOURCE = 24;

export const CAPABILITY_SETS: CapabilitySet[] = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'];

/** One 64-bit mask per set; a set the config leaves out is empty, as runc leaves it. */
export type { CapabilityPlan } from './plan-schema.js';
import type { CapabilityPlan } from './plan-schema.js';

export function planCapabilities(
  caps: Capabilities | undefined,
  lastCap: number,
  warn: (message: string) => void,
): CapabilityPlan {
  const plan = { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n };
  const unknown = new Set<string>();
  const unavailable = new Set<string>();
  for (const set of CAPABILITY_SETS) {
    for (const name of caps?.[set] ?? []) {
      const n = (CAPABILITY_NAMES as readonly string[]).indexOf(name);
      if (n < 0) unknown.add(name);
      else if (n > lastCap) unavailable.add(name);
      else plan[set] |= 1n << BigInt(n);
    }
  }
  if (unknown.size) warn(`ignoring unknown capabilities in /process/capabilities: ${[...unknown].join(', ')}`);
  if (unavailable.size) {
    warn(`ignoring capabilities this kernel does not have (its last is ${CAPABILITY_NAMES[lastCap] ?? lastCap}): ${[...unavailable].join(', ')}`);
  }
  return plan;
}
