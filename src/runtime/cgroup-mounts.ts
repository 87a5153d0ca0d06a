// A mount of type "cgroup" in config.json means, as with runc, "the
// container's view of its cgroups": cgroup2 on a v2 host; on v1 and hybrid
// hosts a tmpfs with one directory per hierarchy (and "unified"), each a
// cgroup mount inside a new cgroup namespace (rooted at the container's
// cgroup) or else a bind mount of the container's own cgroup directory.
import path from 'node:path';
import { MS } from './linux.js';
import type { MountPlan } from './plan-schema.js';
import type { CgroupRecord } from '../cgroups/index.js';

// The flags a cgroup mount passes on to the mounts it becomes.
const KEPT = MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY | MS.RELATIME | MS.NOATIME | MS.STRICTATIME;

export function expandCgroupMount(m: MountPlan, record: CgroupRecord, cgroupns: boolean): MountPlan[] {
  const flags = m.flags & KEPT;
  const base = { propagation: [], recAttrSet: 0, recAttrClr: 0, configPath: m.configPath };
  if (record.mode === 'v2') return [{ ...m, type: 'cgroup2', source: m.source || 'cgroup2', data: '' }];
  const at = (name: string) => path.posix.join(m.destination, name);
  const out: MountPlan[] = [
    { ...base, destination: m.destination, source: 'tmpfs', type: 'tmpfs', flags: flags & ~MS.RDONLY, data: 'mode=755' },
  ];
  const sub = (name: string, type: string, data: string, hostDir: string): MountPlan =>
    cgroupns
      ? { ...base, destination: at(name), source: type, type, flags, data }
      : { ...base, destination: at(name), source: hostDir, type: '', flags: flags | MS.BIND | MS.REC, data: '' };
  for (const h of record.v1) out.push(sub(path.basename(h.mount), 'cgroup', h.controllers.join(','), h.dir));
  if (record.unified) out.push(sub(path.basename(record.unified.mount), 'cgroup2', '', record.unified.dir));
  // Read-only, like runc: the tmpfs too, once its mount points are made.
  if (m.flags & MS.RDONLY) out.push({ ...base, destination: m.destination, source: 'tmpfs', type: 'tmpfs', flags: flags | MS.REMOUNT, data: 'mode=755' });
  return out;
}
