// linux.netDevices (config-linux.md "Network Devices"): host devices moved
// into the container's new network namespace by tsrun-init (native/init/netdev.cc).
import type { Config } from '../spec/types.js';
import { PlanError } from '../core/errors.js';
import type { NamespacePlan } from './plan-schema.js';

export type { NetDevicePlan } from './plan-schema.js';
import type { NetDevicePlan } from './plan-schema.js';

// What the kernel takes as an interface name (dev_valid_name): 1-15 bytes, no '/', ':' or space, not . or ..
function checkName(name: string, where: string): void {
  if (!name.length || Buffer.byteLength(name) > 15) throw new PlanError(where, `${JSON.stringify(name)} is not a network device name (1 to 15 bytes)`);
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new PlanError(where, `${JSON.stringify(name)} is not a network device name (no "/", ":" or white space, and not "." or "..")`);
  }
  if ((name.match(/%/g) ?? []).length > 1 || (name.includes('%') && !name.includes('%d'))) {
    throw new PlanError(where, `${JSON.stringify(name)}: the only pattern a name may hold is one %d`);
  }
}

export function planNetDevices(config: Config, namespaces: NamespacePlan[]): NetDevicePlan[] {
  const devices = Object.entries(config.linux?.netDevices ?? {});
  if (!devices.length) return [];
  if (!namespaces.some((n) => n.type === 'network' && !n.path)) {
    throw new PlanError('/linux/netDevices', 'moving network devices needs a new network namespace: add {"type": "network"} (without a path) to linux.namespaces');
  }
  const seen = new Set<string>();
  return devices.map(([hostName, dev]) => {
    const where = `/linux/netDevices/${hostName.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    checkName(hostName, where);
    const name = dev?.name || hostName;
    checkName(name, `${where}/name`);
    if (!name.includes('%d')) {
      if (seen.has(name)) throw new PlanError(`${where}/name`, `two devices would be named ${name} in the container`);
      seen.add(name);
    }
    return { hostName, name };
  });
}
