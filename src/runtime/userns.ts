// linux.uidMappings/gidMappings: checked at plan time, written by the parent
// into /proc/<pid>/{uid,gid}_map while init waits at its USERNS_READY sync point.
import fs from 'node:fs';
import type { Config, IdMapping } from '../spec/types.js';
import { PlanError } from '../core/errors.js';
import { checkSubordinateRanges, planRootlessMaps, runMapHelper, type RootlessMapPlan } from './idmap-helpers.js';

export interface IdMapPlan {
  uidMap: string;
  gidMap: string;
  /** Rootless by euid: how each map is written (idmap-helpers.ts), with the mappings the helpers take. */
  rootless?: RootlessMapPlan & { uidMappings: IdMapping[]; gidMappings: IdMapping[] };
}

/** The caller, when it is not root on the host (rootless by euid). */
export interface RootlessCaller {
  euid: number;
  egid: number;
  /** The user's name, as /etc/subuid and /etc/subgid may name it. */
  name?: string;
}

export function mapText(maps: IdMapping[], configPath: string): string {
  // The kernel takes at most 340 lines and refuses overlaps; say so before it does.
  if (maps.length > 340) throw new PlanError(configPath, `has ${maps.length} entries; the kernel takes at most 340`);
  maps.forEach((m, i) => {
    if (m.size === 0) throw new PlanError(`${configPath}/${i}/size`, 'must be at least 1');
    maps.forEach((o, j) => {
      if (j > i && m.containerID < o.containerID + o.size && o.containerID < m.containerID + m.size) {
        throw new PlanError(configPath, `entries ${i} and ${j} map overlapping container IDs`);
      }
    });
  });
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** The maps for a new user namespace, or undefined when none is made. */
export function planIdMaps(config: Config, rootless?: RootlessCaller): IdMapPlan | undefined {
  const userNs = config.linux?.namespaces?.find((n) => n.type === 'user');
  const uid = config.linux?.uidMappings ?? [];
  const gid = config.linux?.gidMappings ?? [];
  if (!userNs && rootless) {
    // As runc: an unprivileged caller can make no other namespace, nor own what init would create.
    throw new PlanError(
      '/linux/namespaces',
      `tsrun runs as uid ${rootless.euid} (rootless), so the container needs a user namespace: add {"type": "user"} to linux.namespaces ` +
        `with uidMappings and gidMappings (e.g. [{"containerID": 0, "hostID": ${rootless.euid}, "size": 1}]); tsrun spec --rootless writes such a config`,
    );
  }
  if (!userNs) {
    if (uid.length || gid.length) {
      throw new PlanError('/linux/uidMappings', 'ID mappings need a new user namespace: add {"type": "user"} to linux.namespaces');
    }
    return undefined;
  }
  if (userNs.path) {
    if (uid.length || gid.length) {
      throw new PlanError('/linux/uidMappings', `the user namespace at ${userNs.path} is joined and has its own mappings; remove uidMappings and gidMappings`);
    }
    return undefined;
  }
  if (!uid.length) throw new PlanError('/linux/uidMappings', 'a new user namespace needs at least one uid mapping');
  if (!gid.length) throw new PlanError('/linux/gidMappings', 'a new user namespace needs at least one gid mapping');
  const plan: IdMapPlan = { uidMap: mapText(uid, '/linux/uidMappings'), gidMap: mapText(gid, '/linux/gidMappings') };
  if (!rootless) return plan;
  const how = planRootlessMaps(config, rootless);
  if (how.uid === 'helper') checkSubordinateRanges(uid, '/linux/uidMappings', { name: rootless.name, id: rootless.euid, file: '/etc/subuid' });
  if (how.gid === 'helper') checkSubordinateRanges(gid, '/linux/gidMappings', { name: rootless.name, id: rootless.egid, file: '/etc/subgid' });
  return { ...plan, rootless: { ...how, uidMappings: uid, gidMappings: gid } };
}

/** Writes the maps of init's new user namespace. gid_map first, as runc does. */
export function writeIdMaps(pid: number, maps: IdMapPlan): void {
  if (maps.rootless) return writeRootlessIdMaps(pid, maps, maps.rootless);
  for (const [file, text, configPath] of [
    ['gid_map', maps.gidMap, '/linux/gidMappings'],
    ['uid_map', maps.uidMap, '/linux/uidMappings'],
  ] as const) {
    try {
      fs.writeFileSync(`/proc/${pid}/${file}`, text);
    } catch (e) {
      throw new PlanError(configPath, `the kernel refused the mapping (${(e as Error).message.replace(/^.*?: /, '')}): ${text.trim().replace(/\n/g, '; ')}`);
    }
  }
}

function writeRootlessIdMaps(pid: number, maps: IdMapPlan, how: NonNullable<IdMapPlan['rootless']>): void {
  if (how.denySetgroups) {
    try {
      fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    } catch (e) {
      throw new PlanError('/linux/gidMappings', `cannot deny setgroups before writing the gid map (${(e as Error).message.replace(/^.*?: /, '')})`);
    }
  }
  if (how.gid === 'helper') runMapHelper('gid_map', pid, how.gidMappings, '/linux/gidMappings');
  else writeMap(pid, 'gid_map', maps.gidMap, '/linux/gidMappings');
  if (how.uid === 'helper') runMapHelper('uid_map', pid, how.uidMappings, '/linux/uidMappings');
  else writeMap(pid, 'uid_map', maps.uidMap, '/linux/uidMappings');
}

function writeMap(pid: number, file: string, text: string, configPath: string): void {
  try {
    fs.writeFileSync(`/proc/${pid}/${file}`, text);
  } catch (e) {
    throw new PlanError(configPath, `the kernel refused the mapping (${(e as Error).message.replace(/^.*?: /, '')}): ${text.trim().replace(/\n/g, '; ')}`);
  }
}
