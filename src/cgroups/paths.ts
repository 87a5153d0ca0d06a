// linux.cgroupsPath: where in each hierarchy the container's cgroup goes.
// Each --root has a parent of its own: /tsrun for the default root,
// /tsrun/<name>@<hash> for any other, so two roots can both use an id. No
// path: <parent>/<id>. A relative path is nested under that parent; an
// absolute one is used as given. Everything under /tsrun is ours; outside it
// only what a create made is.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../spec/types.js';
import { PlanError, UnsupportedError } from '../core/errors.js';
import { sha256Hex } from './sha256.js';

/** Our own parent cgroup, in every hierarchy. */
export const OUR_PARENT = '/tsrun';

/** The state root tsrun uses without --root: its containers keep the plain /tsrun/<id>. */
export const DEFAULT_STATE_ROOT = '/run/tsrun';

// realpath(3): node's own realpathSync lstats each component in JS, about 0.2 ms more per create.
const realPath = (p: string) => {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * The cgroup parent of the containers of state root `root`. Another root's
 * parent is named by its real path: a readable part (the last component) and
 * a hash of the whole, joined by "@", which no container id may contain, so
 * it never clashes with the default root's /tsrun/<id>.
 */
export function cgroupParentOf(root: string, defaultRoot = DEFAULT_STATE_ROOT): string {
  const real = realPath(root);
  if (real === realPath(defaultRoot)) return OUR_PARENT;
  const name = path.basename(real).replace(/[^\w.+-]/g, '_').slice(0, 40) || 'root';
  const hash = sha256Hex(real).slice(0, 12);
  return `${OUR_PARENT}/${name}@${hash}`;
}

export interface CgroupPlacement {
  /** The cgroup's path from the hierarchy root, as /proc/<pid>/cgroup shows it. */
  path: string;
  /** The topmost cgroup of the path that tsrun owns (may remove, may change), or '' when only what it creates is its. */
  ownedFrom: string;
}

/** parent: the root's own (cgroupParentOf); default and relative paths go below it. */
export function placeCgroup(config: Config, id: string, parent = OUR_PARENT): CgroupPlacement {
  const given = config.linux?.cgroupsPath;
  if (given === undefined || given === '') return { path: `${parent}/${id}`, ownedFrom: OUR_PARENT };
  if (/^[^/:]*:[^/:]*:[^/:]+$/.test(given)) {
    throw new UnsupportedError(
      `"${given}" is a systemd "slice:prefix:name" path, which needs the systemd driver: ` +
        'pass --systemd-cgroup, or give a cgroupfs path such as "/machine/c1" or "c1"',
      '/linux/cgroupsPath',
    );
  }
  // A cgroup is a directory: a control character (a newline, say) would make one nobody can name in a shell or a log.
  const control = /[\u0000-\u001f\u007f]/.exec(given);
  if (control) {
    throw new PlanError('/linux/cgroupsPath', `${JSON.stringify(given)} holds a control character (${JSON.stringify(control[0])}) at offset ${control.index}: give a path of printable characters`);
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
  return { path: `${parent}/${rel}`, ownedFrom: OUR_PARENT };
}
