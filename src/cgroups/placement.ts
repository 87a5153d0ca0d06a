// Where a new process of a container goes: the container's own cgroup, or,
// for `exec --cgroup`, sub-cgroups of it. runc's rules for the flag: one
// <sub-path> for every hierarchy, or <controller>[,<controller>...]:<sub-path>
// per controller (repeatable, the last one for a controller wins); a path
// that leaves the container's cgroup is refused, and the sub-cgroup must
// exist (exec never makes one). Pure but for the existence check.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError } from '../core/errors.js';
import type { CgroupRecord } from './record.js';
import { CgroupOpError } from './errors.js';
import { describe, writeValue } from './fs.js';

/** The directories a process joins, one per hierarchy. */
export interface Placement {
  /** v1 hierarchies (none on v2): tsrun-init's stage 0 is moved in; its child is born there. */
  v1: string[];
  /**
   * The unified hierarchy's directory: the child is cloned straight into it
   * (clone3 CLONE_INTO_CGROUP) where it can be, else stage 0 is moved in.
   */
  unified?: { mount: string; dir: string };
}

/** The container's own cgroup, in every hierarchy it has. */
export function containerPlacement(record: CgroupRecord): Placement {
  return { v1: record.v1.map((h) => h.dir), unified: record.unified && { ...record.unified } };
}

/** runc's parsing of --cgroup: controller ('' for every hierarchy) to sub-path. */
export function parseSubCgroupArgs(args: readonly string[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const arg of args) {
    const parts = arg.split(':');
    if (parts.length > 2) {
      throw new TsrunError(`invalid --cgroup argument: ${arg} (use <sub-path>, or <controller>[,<controller>...]:<sub-path> on cgroup v1)`);
    }
    if (parts.length === 1) {
      if (args.length !== 1) {
        throw new TsrunError(`invalid --cgroup argument: ${arg} (missing <controller>: prefix; a sub-path without one must be the only --cgroup)`);
      }
      paths.set('', arg);
      continue;
    }
    for (const controller of parts[0].split(',')) paths.set(controller, parts[1]);
  }
  return paths;
}

/** base/sub, which must be base or below it (runc: "... is not a sub cgroup path"). */
function below(base: string, sub: string, cgroupPath: string): string {
  const joined = path.posix.join(base, '/', sub).replace(/(.)\/+$/, '$1');
  if (joined !== base && !joined.startsWith(`${base}/`)) {
    throw new TsrunError(`${sub} is not a sub cgroup path: it leaves the container's cgroup ${cgroupPath}; give a path below it, e.g. "sub"`);
  }
  return joined;
}

/**
 * The placement for `exec --cgroup args` in the container of record: each
 * named hierarchy's directory moved to the sub-cgroup, the rest left at the
 * container's own. Throws runc's errors, worded to say what would be right.
 */
export function subCgroupPlacement(record: CgroupRecord, args: readonly string[]): Placement {
  const placement = containerPlacement(record);
  if (!args.length) return placement;
  const paths = parseSubCgroupArgs(args);
  const all = paths.get('');
  if (all !== undefined && paths.size === 1) {
    // One path for every hierarchy (on v2 the only way), as runc joins it.
    placement.v1 = placement.v1.map((d) => below(d, all, record.path));
    if (placement.unified) placement.unified.dir = below(placement.unified.dir, all, record.path);
    return checkExists(placement, args);
  }
  const known = record.v1.flatMap((h) => h.controllers);
  // Controllers of one v1 hierarchy share its directory: they must agree.
  const chosen = new Map<number, { controller: string; sub: string }>();
  for (const [controller, sub] of paths) {
    const i = record.v1.findIndex((h) => h.controllers.includes(controller));
    if (i < 0) {
      const have = record.mode === 'v2'
        ? 'on cgroup v2 there is one hierarchy: give --cgroup <sub-path> without a controller'
        : `the container's cgroup has: ${known.join(', ')}`;
      throw new TsrunError(`unknown controller ${controller || '""'} in --cgroup (${have})`);
    }
    const before = chosen.get(i);
    if (before && before.sub !== sub) {
      throw new TsrunError(
        `--cgroup gives ${before.controller} and ${controller} different sub-paths (${before.sub}, ${sub}), ` +
          `but they share one hierarchy (${record.v1[i].mount}): give them the same one`,
      );
    }
    chosen.set(i, { controller, sub });
  }
  for (const [i, { sub }] of chosen) placement.v1[i] = below(placement.v1[i], sub, record.path);
  return checkExists(placement, args);
}

/** exec never makes a cgroup: a missing sub-cgroup is an error (runc's words, and what to do). */
function checkExists(placement: Placement, args: readonly string[]): Placement {
  for (const dir of [...placement.v1, ...(placement.unified ? [placement.unified.dir] : [])]) {
    if (!fs.existsSync(path.join(dir, 'cgroup.procs'))) {
      throw new CgroupOpError(
        `cannot join the sub-cgroup ${dir}: no such file or directory ` +
          `(--cgroup ${args.join(' --cgroup ')} names a sub-cgroup of the container's cgroup; exec does not create it: make it first)`,
      );
    }
  }
  return placement;
}

/** Moves pid into each directory of placement; the unified one only when withUnified. */
export function placeProcess(placement: Placement, pid: number, withUnified = true): void {
  const dirs = [...placement.v1, ...(withUnified && placement.unified ? [placement.unified.dir] : [])];
  for (const dir of dirs) {
    try {
      writeValue(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (e) {
      throw new CgroupOpError(`cannot add process ${pid} to the cgroup ${dir}: ${describe(e)}${joinHint((e as NodeJS.ErrnoException).code)}`);
    }
  }
}

/** Why the kernel refuses a process in a cgroup, for the errnos that say it. */
export function joinHint(code: string | undefined): string {
  if (code === 'ENOSPC') return ' (a v1 cpuset cgroup with no cpus or mems: fill its cpuset.cpus and cpuset.mems first)';
  if (code === 'EBUSY' || code === 'EOPNOTSUPP') {
    return ' (cgroup v2 puts processes only in leaves: this cgroup has controllers on for its children in cgroup.subtree_control; use a sub-cgroup)';
  }
  return '';
}

/**
 * Where tsrun-init clones the process (clone3 CLONE_INTO_CGROUP): the unified
 * directory, as its hierarchy's root and the path below it. The plan's
 * CloneTarget (runtime/plan-schema.ts) has this shape; cgroups/ is a leaf.
 */
export interface CloneTarget {
  mount: string;
  path: string;
  /** Where an error about it points: /linux/cgroupsPath for create, '' for exec. */
  configPath: string;
}

/**
 * The unified directory of placement, for tsrun-init to clone into; none
 * without a unified hierarchy, or with a user namespace: stage 0 is then the
 * namespace's root, not the host's, by the time it clones, and the kernel
 * checks the caller's right to write the cgroup (the parent moves stage 0 in
 * instead, as where clone3 is refused).
 */
export function cloneTarget(placement: Placement, userns: boolean, configPath: string): CloneTarget | undefined {
  const u = placement.unified;
  if (!u || userns) return undefined;
  const rel = path.posix.relative(u.mount, u.dir);
  // Never the hierarchy's root: a container's cgroup is always below it.
  if (!rel || rel.startsWith('..')) return undefined;
  return { mount: u.mount, path: rel, configPath };
}

/** A plan's cgroupInto, left out (not undefined) when there is none. */
export function withCgroupInto(into: CloneTarget | undefined): { cgroupInto?: CloneTarget } {
  return into ? { cgroupInto: into } : {};
}

/**
 * cgroup v2 puts processes only in leaves: once the container has turned on
 * controllers for cgroups of its own below its cgroup (systemd as its init
 * does), that cgroup takes no process. exec (without --cgroup) then joins the
 * cgroup its init is in, as runc does. procCgroup: /proc/<init>/cgroup.
 */
export function leafForExec(placement: Placement, procCgroup: string): Placement {
  const u = placement.unified;
  if (!u) return placement;
  let subtree = '';
  try {
    subtree = fs.readFileSync(path.join(u.dir, 'cgroup.subtree_control'), 'utf8').trim();
  } catch {
    return placement;
  }
  const initPath = /^0::(\/.*)$/m.exec(procCgroup)?.[1];
  if (!subtree || !initPath) return placement;
  const dir = path.posix.join(u.mount, initPath);
  // Only a cgroup below the container's: an init elsewhere is not where exec may go.
  if (!dir.startsWith(`${u.dir}/`)) return placement;
  return { ...placement, unified: { mount: u.mount, dir } };
}
