// `tsrun check`'s view of linux.resources: the v1 or v2 planner runs against
// the host's cgroup tree as it is, before the container's cgroup exists, and
// every field this host cannot honour is reported, not only the first.
import fs from 'node:fs';
import path from 'node:path';
import type { Resources } from '../spec/types.js';
import { CgroupError } from './errors.js';
import { readText } from './fs.js';
import type { CgroupRecord } from './record.js';
import { planV1 } from './v1-writes.js';
import { planV2 } from './v2-writes.js';
import type { CgroupView, PlanContext } from './writes.js';

/** The closest directory of dir or its parents that exists (the container's cgroup is not made yet). */
function nearest(dir: string, stop: string): string {
  let d = dir;
  while (d.startsWith(stop) && d !== stop && !fs.existsSync(d)) d = path.dirname(d);
  return d;
}

const words = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);

function viewOf(record: CgroupRecord): CgroupView {
  if (record.mode === 'v2') {
    const { mount, dir } = record.unified!;
    const at = nearest(dir, mount);
    // What the parent can hand down: create turns these on in every ancestor.
    const controllers = new Set(words(readText(path.join(at, 'cgroup.controllers'))));
    return {
      hasController: (c) => controllers.has(c),
      whyMissing: (c) =>
        `${path.join(at, 'cgroup.controllers')} does not list ${c}: the controller is missing from this kernel or not delegated to this part of the tree (enable it in the parent's cgroup.subtree_control, or ask whoever delegated the cgroup to include it)`,
      has: (_c, f) => fs.existsSync(path.join(at, f)) || fs.existsSync(path.join(mount, f)),
      read: (_c, f) => readText(path.join(at, f)),
    };
  }
  const dirOf = (c: string) => {
    const h = record.v1.find((x) => x.controllers.includes(c));
    return h && nearest(h.dir, h.mount);
  };
  const u = record.unified;
  const uAt = u && nearest(u.dir, u.mount);
  return {
    hasController: (c) => dirOf(c) !== undefined,
    has: (c, f) => {
      const d = dirOf(c);
      return d !== undefined && fs.existsSync(path.join(d, f));
    },
    read: (c, f) => {
      const d = dirOf(c);
      return d === undefined ? undefined : readText(path.join(d, f));
    },
    unified: uAt
      ? { has: (f) => fs.existsSync(path.join(uAt, f)), controllers: new Set(words(readText(path.join(uAt, 'cgroup.controllers')))) }
      : undefined,
  };
}

/** Every field of resources this host's cgroups cannot honour, each planned on its own; [] when create would apply them. */
export function resourceProblems(record: CgroupRecord, resources: Resources | undefined, facts: Pick<PlanContext, 'kernel' | 'hugepageSizes'>): CgroupError[] {
  if (!resources) return [];
  const ctx: PlanContext = { view: viewOf(record), update: false, ...facts };
  const plan = record.mode === 'v2' ? planV2 : planV1;
  const problems: CgroupError[] = [];
  for (const [key, value] of Object.entries(resources)) {
    if (value === undefined) continue;
    try {
      plan({ [key]: value } as Resources, ctx, true);
    } catch (e) {
      if (!(e instanceof CgroupError)) throw e;
      problems.push(e);
    }
  }
  return problems;
}
