// Pieces the v1 and v2 planners share: huge page sizes, rdma.max lines and
// the raw v2 keys of `unified` (which a hybrid host writes to its unified cgroup).
import { hugepageKb } from './convert.js';
import { CgroupError } from './errors.js';
import type { CgroupView, FileWrite } from './writes.js';

export function needV2(view: Pick<CgroupView, 'hasController'>, controller: string, field: string): void {
  if (!view.hasController(controller)) {
    throw new CgroupError(field, controller,
      `the ${controller} controller is not available to the container's cgroup: it is missing from cgroup.controllers ` +
        "(enable it in the parent's cgroup.subtree_control; tsrun changes only cgroups it created)");
  }
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

/** `unified`: each key is a file of the container's cgroup, written as given. */
export function planUnified(unified: Record<string, string>, view: Pick<CgroupView, 'hasController' | 'has'>): FileWrite[] {
  return Object.entries(unified).map(([key, value]) => {
    const field = `/unified/${key}`;
    const dot = key.indexOf('.');
    if (key.includes('/') || dot <= 0) throw new CgroupError(field, '', `"${key}" is not a cgroup v2 file name (controller.name, e.g. "memory.high")`);
    const controller = key.slice(0, dot);
    if (controller !== 'cgroup') needV2(view, controller, field);
    if (!view.has(controller, key)) throw new CgroupError(field, controller, `the container's cgroup has no file ${key}`);
    return { kind: 'write', controller, file: key, value, field };
  });
}

/** Whether a resources section asks for anything: some field set, and not to an empty list. */
export function asksAnything(section: object): boolean {
  return Object.values(section).some((v) => v !== undefined && !(Array.isArray(v) && !v.length));
}
