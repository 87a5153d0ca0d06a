// linux.cgroupsPath: where in each hierarchy the container's cgroup goes.
// No path: /tsrun/<id>. A relative path is nested under our own parent
// (/tsrun/<path>); an absolute one is used as given. Everything under
// /tsrun is ours; outside it only what a create made is.
import path from 'node:path';
import type { Config } from '../spec/types.js';
import { PlanError } from '../runtime/plan-error.js';
import { UnsupportedError } from '../runtime/errors.js';

/** Our own parent cgroup, in every hierarchy. */
export const OUR_PARENT = '/tsrun';

export interface CgroupPlacement {
  /** The cgroup's path from the hierarchy root, as /proc/<pid>/cgroup shows it. */
  path: string;
  /** The topmost cgroup of the path that tsrun owns (may remove, may change), or '' when only what it creates is its. */
  ownedFrom: string;
}

export function placeCgroup(config: Config, id: string): CgroupPlacement {
  const given = config.linux?.cgroupsPath;
  if (given === undefined || given === '') return { path: `${OUR_PARENT}/${id}`, ownedFrom: OUR_PARENT };
  if (/^[^/:]*:[^/:]*:[^/:]+$/.test(given)) {
    throw new UnsupportedError(
      `config.json: /linux/cgroupsPath: "${given}" is a systemd "slice:prefix:name" path, which needs the --systemd-cgroup driver; ` +
        'tsrun has only the cgroupfs driver: give a path such as "/machine/c1" or "c1" instead',
    );
  }
  if (given.split('/').some((part) => part === '..')) {
    throw new PlanError('/linux/cgroupsPath', `"${given}" must not contain "..": a container's cgroup stays where its path says`);
  }
  if (path.posix.isAbsolute(given)) {
    const p = path.posix.normalize(given).replace(/\/+$/, '');
    if (p === '') throw new PlanError('/linux/cgroupsPath', 'the root cgroup cannot be a container\'s cgroup: give a path below it, e.g. "/machine/c1"');
    return { path: p, ownedFrom: p === OUR_PARENT || p.startsWith(`${OUR_PARENT}/`) ? OUR_PARENT : '' };
  }
  const rel = path.posix.normalize(given).replace(/\/+$/, '');
  if (rel === '.' || rel === '') throw new PlanError('/linux/cgroupsPath', `"${given}" names no cgroup: give a name such as "c1"`);
  return { path: `${OUR_PARENT}/${rel}`, ownedFrom: OUR_PARENT };
}
