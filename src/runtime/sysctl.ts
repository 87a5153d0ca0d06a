// linux.sysctl: only keys the container's own namespaces scope may be set;
// anything else would change the host, so it is refused with the reason.
import fs from 'node:fs';
import type { Config } from '../spec/types.js';
import { PlanError } from '../core/errors.js';

/** True when path is the namespace tsrun itself is in (the host's); false when it is another, or cannot be read (joining it fails later, by name). */
function isOwnNamespace(path: string, scope: 'ipc' | 'network'): boolean {
  try {
    const joined = fs.statSync(path);
    const own = fs.statSync(`/proc/self/ns/${scope === 'network' ? 'net' : 'ipc'}`);
    return joined.dev === own.dev && joined.ino === own.ino;
  } catch {
    return false;
  }
}

export type { SysctlPlan } from './plan-schema.js';
import type { SysctlPlan } from './plan-schema.js';

// IPC-namespaced keys (ipc_namespaces(7)); fs.mqueue.* too.
const IPC_KEYS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** Which namespace scopes key, or undefined when none does. */
function scopeOf(key: string): 'ipc' | 'network' | 'uts' | undefined {
  if (IPC_KEYS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (key === 'kernel.domainname' || key === 'kernel.hostname') return 'uts';
  return undefined;
}

export function planSysctl(config: Config): SysctlPlan[] {
  const namespaces = config.linux?.namespaces ?? [];
  return Object.entries(config.linux?.sysctl ?? {}).map(([raw, value]) => {
    const configPath = `/linux/sysctl/${raw.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    // Both "net.ipv4.ip_forward" and "net/ipv4/ip_forward" are sysctl(8) spellings.
    const key = raw.includes('/') ? raw.replace(/\//g, '.') : raw;
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_:@+-]+)+$/.test(key)) {
      throw new PlanError(configPath, `"${raw}" is not a sysctl name such as "net.ipv4.ip_forward"`);
    }
    const scope = scopeOf(key);
    if (!scope) {
      throw new PlanError(configPath, `${key} is not namespaced: setting it would change the whole host, so tsrun refuses it; set it on the host instead`);
    }
    const ns = namespaces.find((n) => n.type === scope);
    if (!ns) {
      throw new PlanError(configPath, `${key} belongs to the ${scope} namespace, and the container shares the host's; add {"type": "${scope}"} to linux.namespaces`);
    }
    if (ns.path !== undefined && scope !== 'uts' && isOwnNamespace(ns.path, scope)) {
      throw new PlanError(configPath, `${key} would be set in the host's ${scope} namespace: linux.namespaces joins ${ns.path}, the one tsrun itself runs in; give the container a ${scope} namespace of its own, or set it on the host`);
    }
    if (scope === 'uts') {
      throw new PlanError(configPath, `set ${key === 'kernel.hostname' ? 'hostname' : 'domainname'} in config.json instead of through sysctl`);
    }
    return { file: `sys/${key.replace(/\./g, '/')}`, value, configPath };
  });
}

/** maskedPaths and readonlyPaths must be absolute paths inside the container. */
export function planContainerPaths(paths: string[] | undefined, field: string): string[] {
  return (paths ?? []).map((p, i) => {
    if (!p.startsWith('/')) throw new PlanError(`/linux/${field}/${i}`, `"${p}" must be an absolute path inside the container`);
    return p;
  });
}
