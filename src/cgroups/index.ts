// The cgroups interface the runtime uses: where a container's cgroup goes
// (a record stored in its state), and the operations on it, by host mode.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../spec/types.js';
import { Cgroup, type CgroupSyscalls } from './cgroup.js';
export type { CgroupSyscalls } from './cgroup.js';
import type { CgroupRecord } from './record.js';
import { hostLayout, type HostLayout } from './hierarchy.js';
import { cgroupParentOf, placeCgroup } from './paths.js';
import { checkUnifiedKeys } from './common-writes.js';
import { ignoredResourceFields, ignoredResourceWarnings } from './ignored.js';
export { cgroupParentOf, checkUnifiedKeys, ignoredResourceFields, ignoredResourceWarnings };
import { V1Cgroup } from './v1.js';
import { V2Cgroup } from './v2.js';
import { SystemdCgroup, planSystemdRecord } from './systemd.js';

export type { CgroupRecord } from './record.js';
export { Cgroup } from './cgroup.js';
export { CgroupError, CgroupOpError } from './errors.js';
export { cgroupStats, emptyStats, statsJson, type Stats } from './stats.js';
export { applyResources, finishCreate, hostApplyFacts, setUpCgroup, type ApplyOptions } from './resources.js';
export { watchOom, type CgroupEventfd } from './oom.js';
export { resourceProblems } from './dry-run.js';

/**
 * Where the container's cgroup goes on this host; pure given the layout.
 * parent: the state root's own (cgroupParentOf), for default and relative paths.
 */
export function planCgroupRecord(config: Config, id: string, opts: { parent?: string; layout?: HostLayout } = {}): CgroupRecord {
  const layout = opts.layout ?? hostLayout();
  const { path: cgPath, ownedFrom } = placeCgroup(config, id, opts.parent);
  const unified = layout.unified ? { mount: layout.unified, dir: path.join(layout.unified, cgPath) } : undefined;
  const v1 = layout.mode === 'v2' ? [] : layout.v1.map((h) => ({ mount: h.mount, controllers: h.controllers, dir: path.join(h.mount, cgPath) }));
  return { mode: layout.mode, path: cgPath, ownedFrom, v1, unified, created: [] };
}

/**
 * The cgroup of a new container (create, restore), before anything starts:
 * under the state root's own parent, with the unified keys that are no limit
 * of it (cgroup.procs, say) refused, and the ignored fields said once.
 */
export function planContainerCgroup(
  config: Config,
  id: string,
  stateRoot: string,
  warn: (message: string) => void,
  opts: { systemd?: boolean } = {},
): CgroupRecord {
  const record = opts.systemd ? planSystemdRecord(config, id, hostLayout(), warn) : planCgroupRecord(config, id, { parent: cgroupParentOf(stateRoot) });
  checkUnifiedKeys(config.linux?.resources?.unified);
  for (const m of ignoredResourceWarnings(config.linux?.resources)) warn(m);
  return record;
}

/** What a cgroup opened to read, signal, freeze or remove has: it attaches no device program. */
const noSyscalls: CgroupSyscalls = {
  attachDeviceProgram() {
    throw new Error('a device program is attached only by create and restore, which open the cgroup with the runtime\'s core');
  },
};

/**
 * The container's cgroup, from its stored record. sys: the kernel calls a
 * new cgroup needs (create and restore give the runtime's core; the rootless
 * create its own); others need none.
 */
export function openCgroup(record: CgroupRecord, sys: CgroupSyscalls = noSyscalls): Cgroup {
  if (record.systemd) return new SystemdCgroup(record, sys);
  return record.mode === 'v2' ? new V2Cgroup(record, sys) : new V1Cgroup(record, sys);
}

/**
 * The sweep of a create that died midway: its cgroup record may be all that
 * says where its cgroup is. Only what that create made goes (never a cgroup
 * it found, nor the processes in one). Best effort: a cgroup that will not go stays.
 */
export function destroyCgroupQuietly(recordFile: string): void {
  let record: CgroupRecord;
  try {
    record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as CgroupRecord;
  } catch {
    return;
  }
  try {
    const cg = openCgroup(record);
    if (record.making) cg.removeIfEmpty(record.making);
    else cg.removeCreated();
  } catch {
    // left for an administrator; nothing else knows of it
  }
}
