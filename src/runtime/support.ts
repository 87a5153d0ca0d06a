// What tsrun does not implement yet. A config that uses one of these fails
// create with a message naming the field: a container must never run with a
// setting silently dropped. `features` will read the same list.
import type { Config } from '../spec/types.js';
import { UnsupportedError } from './errors.js';

interface Gap {
  path: string;
  present(c: Config): boolean;
}

const has = (v: unknown) =>
  v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

const GAPS: Gap[] = [
  { path: '/process/terminal', present: (c) => c.process?.terminal === true },
  { path: '/process/consoleSize', present: (c) => has(c.process?.consoleSize) },
  { path: '/process/user/uid', present: (c) => (c.process?.user?.uid ?? 0) !== 0 },
  { path: '/process/user/gid', present: (c) => (c.process?.user?.gid ?? 0) !== 0 },
  { path: '/process/user/additionalGids', present: (c) => has(c.process?.user?.additionalGids) },
  { path: '/process/capabilities', present: (c) => has(c.process?.capabilities) },
  { path: '/process/rlimits', present: (c) => has(c.process?.rlimits) },
  { path: '/process/noNewPrivileges', present: (c) => c.process?.noNewPrivileges === true },
  { path: '/process/apparmorProfile', present: (c) => has(c.process?.apparmorProfile) },
  { path: '/process/selinuxLabel', present: (c) => has(c.process?.selinuxLabel) },
  { path: '/process/oomScoreAdj', present: (c) => c.process?.oomScoreAdj !== undefined },
  { path: '/process/scheduler', present: (c) => has(c.process?.scheduler) },
  { path: '/process/ioPriority', present: (c) => has(c.process?.ioPriority) },
  { path: '/process/execCPUAffinity', present: (c) => has(c.process?.execCPUAffinity) },
  { path: '/hooks', present: (c) => Object.values(c.hooks ?? {}).some(has) },
  { path: '/linux/uidMappings', present: (c) => has(c.linux?.uidMappings) },
  { path: '/linux/gidMappings', present: (c) => has(c.linux?.gidMappings) },
  { path: '/linux/timeOffsets', present: (c) => has(c.linux?.timeOffsets) },
  { path: '/linux/netDevices', present: (c) => has(c.linux?.netDevices) },
  { path: '/linux/cgroupsPath', present: (c) => has(c.linux?.cgroupsPath) },
  { path: '/linux/resources', present: (c) => has(c.linux?.resources) },
  { path: '/linux/seccomp', present: (c) => has(c.linux?.seccomp) },
  { path: '/linux/sysctl', present: (c) => has(c.linux?.sysctl) },
  { path: '/linux/maskedPaths', present: (c) => has(c.linux?.maskedPaths) },
  { path: '/linux/readonlyPaths', present: (c) => has(c.linux?.readonlyPaths) },
  { path: '/linux/mountLabel', present: (c) => has(c.linux?.mountLabel) },
  { path: '/linux/intelRdt', present: (c) => has(c.linux?.intelRdt) },
  { path: '/linux/memoryPolicy', present: (c) => has(c.linux?.memoryPolicy) },
  { path: '/linux/personality', present: (c) => has(c.linux?.personality) },
  { path: '/windows', present: (c) => c.windows !== undefined },
  { path: '/solaris', present: (c) => c.solaris !== undefined },
  { path: '/vm', present: (c) => c.vm !== undefined },
  { path: '/zos', present: (c) => c.zos !== undefined },
  { path: '/freebsd', present: (c) => c.freebsd !== undefined },
];

/** Throws UnsupportedError for the first field of config that tsrun cannot honour yet. */
export function refuseUnsupported(config: Config): void {
  for (const gap of GAPS) {
    if (gap.present(config)) {
      throw new UnsupportedError(`config.json: ${gap.path}: tsrun does not support this field yet; remove it to run this container`);
    }
  }
}
