// Pieces the v1 and v2 planners share: huge page sizes, rdma.max lines and
// the raw v2 keys of `unified` (which a hybrid host writes to its unified cgroup).
import { hugepageKb } from './convert.js';
import { CgroupError } from './errors.js';
import type { CgroupView, FileWrite } from './writes.js';

export function needV2(view: Pick<CgroupView, 'hasController' | 'whyMissing'>, controller: string, field: string): void {
  if (view.hasController(controller)) return;
  const why = view.whyMissing?.(controller);
  throw new CgroupError(field, controller,
    `the ${controller} controller is not available to the container's cgroup: ` +
      (why ?? "it is missing from cgroup.controllers (the root cgroup lacks it, or an ancestor's cgroup.subtree_control does not pass it on)"));
}

export function checkPageSize(pageSize: string, sizes: string[], field: string, controller: string): void {
  if (hugepageKb(pageSize) === undefined || !sizes.includes(pageSize)) {
    throw new CgroupError(field, controller, `this host has no ${pageSize} huge pages (it has ${sizes.join(', ') || 'none'})`);
  }
}

export function rdmaLine(device: string, l: { hcaHandles?: number; hcaObjects?: number }, field: string, controller: string): string {
  if (l.hcaHandles === undefined && l.hcaObjects === undefined) throw new CgroupError(field, controller, 'give hcaHandles, hcaObjects or both');
  const parts = [device];
  if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
  if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
  return parts.join(' ');
}

// The cgroup core files that are limits of the cgroup itself. The others act
// on other cgroups or processes: cgroup.procs and cgroup.threads pull any
// process in (and delete would kill it), subtree_control and type change the
// tree, kill and freeze act on the processes; the rest are read-only.
const CORE_LIMITS = new Set(['cgroup.max.descendants', 'cgroup.max.depth']);

/**
 * Refuses a `unified` key that is not a resource file of the container's own
 * cgroup, by its name alone (so before anything is made): a path, a core
 * file that is not a limit, a name not shaped controller.name.
 */
export function checkUnifiedKey(key: string): void {
  const field = `/unified/${key}`;
  if (key.includes('/') || key.includes('..')) {
    throw new CgroupError(field, '', `"${key}" is not a file of the container's cgroup: a key names one file in it, without "/" or ".."`);
  }
  const dot = key.indexOf('.');
  if (dot <= 0 || dot === key.length - 1) throw new CgroupError(field, '', `"${key}" is not a cgroup v2 file name (controller.name, e.g. "memory.high")`);
  if (key.startsWith('cgroup.') && !CORE_LIMITS.has(key)) {
    const why = key === 'cgroup.procs' || key === 'cgroup.threads'
      ? 'it moves processes into the cgroup, and any process could be pulled in (delete would then kill it)'
      : 'it is not a resource limit of the container\'s cgroup';
    throw new CgroupError(field, '', `${key} cannot be set: ${why}; of the cgroup.* files only ${[...CORE_LIMITS].join(' and ')} can`);
  }
}

/** Every key of `unified` (checkUnifiedKey); for create's first step. */
export function checkUnifiedKeys(unified: Record<string, string> | undefined): void {
  for (const key of Object.keys(unified ?? {})) checkUnifiedKey(key);
}

/** `unified`: each key is a resource file of the container's cgroup, of a controller it has, written as given. */
export function planUnified(unified: Record<string, string>, view: Pick<CgroupView, 'hasController' | 'has'>): FileWrite[] {
  return Object.entries(unified).map(([key, value]) => {
    checkUnifiedKey(key);
    const field = `/unified/${key}`;
    const controller = key.slice(0, key.indexOf('.'));
    if (controller !== 'cgroup') needV2(view, controller, field);
    if (!view.has(controller, key)) throw new CgroupError(field, controller, `the container's cgroup has no file ${key}`);
    return { kind: 'write', controller, file: key, value, field };
  });
}

/** Whether a resources section asks for anything: some field set, and not to an empty list. */
export function asksAnything(section: object): boolean {
  return Object.values(section).some((v) => v !== undefined && !(Array.isArray(v) && !v.length));
}
