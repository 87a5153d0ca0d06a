// linux.sysctl: only keys the container's own namespaces scope may be set;
// anything else would change the host, so it is refused with the reason.
import type { Config } from '../spec/types.js';
import { PlanError } from './plan-error.js';

export interface SysctlPlan {
  /** Under /proc, e.g. "sys/net/ipv4/ip_forward". */
  file: string;
  value: string;
  configPath: string;
}

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
    if (!namespaces.some((n) => n.type === scope)) {
      throw new PlanError(configPath, `${key} belongs to the ${scope} namespace, and the container shares the host's; add {"type": "${scope}"} to linux.namespaces`);
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
