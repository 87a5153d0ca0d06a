// Rootless cgroups, as runc's cgroup managers treat them: a cgroup the user
// may not make is done without when the config asks for no limits and no
// cgroupsPath; otherwise the create fails with runc's reason, explained.
// Device rules are never applied: a process without CAP_SYS_ADMIN on the host
// can neither write devices.allow (v1) nor attach a device program (v2), and
// runc ignores those errors for rootless containers.
import fs from 'node:fs';
import path from 'node:path';
import type { Config, Resources } from '../spec/types.js';
import type { Cgroup, CgroupRecord, CgroupSyscalls } from '../cgroups/index.js';
import { planCgroupRecord, planContainerCgroup } from '../cgroups/index.js';
import { PlanError } from '../core/errors.js';

const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

/** The v1 controller each resources field is set in (for runc's "cannot set the X limit"). */
const CONTROLLER: Record<string, string> = {
  memory: 'memory',
  cpu: 'cpu',
  pids: 'pids',
  blockIO: 'blkio',
  hugepageLimits: 'hugetlb',
  network: 'net_cls',
  rdma: 'rdma',
  unified: 'unified',
};

/** The resources fields that set a limit: everything but device rules, and only when not empty. */
export function limitFields(r: Resources | undefined): string[] {
  if (!r) return [];
  return Object.entries(r)
    .filter(([k, v]) => k !== 'devices' && v !== undefined && v !== null && !(Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0))
    .map(([k]) => k);
}

/** Resources without the device rules, which a rootless container cannot have. */
export function withoutDeviceRules(r: Resources | undefined): Resources | undefined {
  if (!r?.devices) return r;
  const { devices: _, ...rest } = r;
  return rest;
}

const isPermissionError = (e: unknown): boolean => PERMISSION.has((e as NodeJS.ErrnoException)?.code ?? '');

/**
 * Runs setUp (setUpCgroup) with the device rules left out. A permission
 * error that planRootlessCgroup's check did not foresee (a controller file
 * not delegated, say) undoes what was made and gives runc's reason.
 */
export function placeRootless(cgroup: Cgroup, config: Config, setUp: (resources: Resources | undefined) => void, warn: (m: string) => void): void {
  const resources = config.linux?.resources;
  try {
    setUp(withoutDeviceRules(resources));
  } catch (e) {
    if (!isPermissionError(e)) throw e;
    try {
      cgroup.removeCreated();
    } catch {
      // nothing it made could be removed either: the permission error says why
    }
    throw refusal(cgroup.record.mode, limitFields(resources), config.linux?.cgroupsPath || cgroup.record.path, (e as Error).message);
  }
  if (resources?.devices?.some((d) => d.allow || d.type || d.major !== undefined)) {
    warn('/linux/resources/devices: rootless: device cgroup rules are not applied (only host root can set them), as with runc');
  }
}

/** runc's reason a rootless create cannot go on without a cgroup, explained. */
function refusal(mode: CgroupRecord['mode'], limits: string[], given: string | undefined, why: string): PlanError {
  if (mode === 'v2') {
    return new PlanError(
      given ? '/linux/cgroupsPath' : `/linux/resources/${limits[0]}`,
      `rootless needs no limits and no cgroupsPath when no permission is granted for cgroups (${why}): ` +
        'remove linux.resources limits and linux.cgroupsPath, or delegate a cgroup v2 subtree to this user (chown it and its cgroup.procs, cgroup.threads and cgroup.subtree_control)',
    );
  }
  const field = limits[0];
  return field
    ? new PlanError(
      `/linux/resources/${field}`,
      `cannot set the ${CONTROLLER[field] ?? field} limit: the container could not join or create a cgroup (${why})`,
      'a rootless container on cgroup v1 gets no cgroup of its own: remove the limits in linux.resources',
    )
    : new PlanError(
      '/linux/cgroupsPath',
      `the container could not join or create the cgroup ${given} (${why})`,
      'a rootless container on cgroup v1 gets no cgroup of its own: remove linux.cgroupsPath',
    );
}

/** tsrun's own cgroup in each hierarchy, from /proc/self/cgroup: "N:controllers:/path" (v1), "0::/path" (unified). */
export function ownCgroups(text = readOwnCgroupFile()): { v1: Map<string, string>; unified?: string } {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') unified = m[3];
    else v1.set(m[2], m[3]);
  }
  return { v1, unified };
}

function readOwnCgroupFile(): string {
  try {
    return fs.readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return '';
  }
}

/** The nearest directory of dir that exists, and whether we may write there (make a cgroup, move a process). */
function writable(dir: string): { ok: true } | { ok: false; why: string } {
  let d = dir;
  while (!fs.existsSync(d)) d = path.dirname(d);
  try {
    fs.accessSync(d, fs.constants.W_OK);
    // Making the cgroup is not enough: moving init in writes cgroup.procs, here or in an existing leaf.
    if (d === dir) fs.accessSync(path.join(d, 'cgroup.procs'), fs.constants.W_OK);
    return { ok: true };
  } catch (e) {
    return { ok: false, why: `${(e as NodeJS.ErrnoException).code ?? 'EACCES'}: ${d === dir ? `${d}/cgroup.procs` : d} is not writable` };
  }
}

export interface RootlessCgroupPlan {
  /** The container's own cgroup; undefined: it runs in tsrun's (no permission, and none was asked for). */
  record?: CgroupRecord;
  /** What "cgroup" mounts show: the container's cgroup, or else tsrun's own (as runc binds the caller's). */
  mountRecord: CgroupRecord;
}

/**
 * Rootless cgroups: where the container's cgroup goes and whether it can be
 * made. On cgroup v2 an empty or relative cgroupsPath is placed under the
 * parent of tsrun's own cgroup (the caller's delegated subtree), as runc's
 * fs2 defaultpath does; elsewhere as for root. No permission: done without,
 * or refused (refusal) when the config sets limits or a cgroupsPath.
 */
export function planRootlessCgroup(config: Config, id: string, stateRoot: string, warn: (m: string) => void, own = ownCgroups()): RootlessCgroupPlan {
  let record = planContainerCgroup(config, id, stateRoot, warn);
  const given = config.linux?.cgroupsPath;
  if (record.mode === 'v2' && own.unified !== undefined && !(given && path.posix.isAbsolute(given))) {
    const parent = path.posix.dirname(own.unified);
    const placed = planCgroupRecord({ ...config, linux: { ...config.linux, cgroupsPath: given || id } }, id, { parent: parent === '/' ? '' : parent });
    // Only what this create makes is tsrun's there: the user's subtree is not.
    record = { ...placed, ownedFrom: '' };
  }
  const dirs = [...record.v1.map((h) => h.dir), ...(record.unified ? [record.unified.dir] : [])];
  const denied = dirs.map(writable).find((w) => !w.ok) as { ok: false; why: string } | undefined;
  if (!denied) return { record, mountRecord: record };
  const limits = limitFields(config.linux?.resources);
  if (limits.length || given) throw refusal(record.mode, limits, given, denied.why);
  const mountRecord: CgroupRecord = {
    ...record,
    path: own.unified ?? '/',
    v1: record.v1.map((h) => ({ ...h, dir: path.join(h.mount, own.v1.get(h.controllers.join(',')) ?? ownV1ByController(own.v1, h.controllers) ?? '/') })),
    unified: record.unified && { ...record.unified, dir: path.join(record.unified.mount, own.unified ?? '/') },
    created: [],
  };
  return { mountRecord };
}

function ownV1ByController(v1: Map<string, string>, controllers: string[]): string | undefined {
  for (const [names, p] of v1) if (names.split(',').some((n) => controllers.includes(n))) return p;
  return undefined;
}

/**
 * The cgroup syscalls of a rootless create: no device program is attached
 * (BPF_PROG_LOAD needs CAP_SYS_ADMIN on the host; runc ignores the device
 * rules of a rootless container), so a delegated v2 cgroup takes the limits.
 */
export const rootlessCgroupSyscalls: CgroupSyscalls = {
  attachDeviceProgram() {
    // device rules are for host root alone
  },
};
