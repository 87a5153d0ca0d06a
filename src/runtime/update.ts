// `update`: new limits for a live container's cgroup, recorded in its state.
import type { Resources } from '../spec/types.js';
import { applyResources, CgroupError, hostApplyFacts, ignoredResourceFields } from '../cgroups/index.js';
import { describeConfigProblem, type ConfigSource } from '../core/errors.js';
import type { StateStore } from './state.js';
import { withContainer } from './container.js';
import { containerCgroup } from './container-cgroup.js';

type Obj = Record<string, unknown>;

/** change laid over base: objects merge key by key, anything else (arrays too) replaces. */
export function mergeResources(base: Resources, change: Resources): Resources {
  const merge = (a: Obj, b: Obj): Obj => {
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) {
      if (v === undefined) continue;
      const old = out[k];
      out[k] = v && typeof v === 'object' && !Array.isArray(v) && old && typeof old === 'object' && !Array.isArray(old) ? merge(old as Obj, v as Obj) : v;
    }
    return out;
  };
  return merge(base as Obj, change as Obj) as Resources;
}

/**
 * Applies change to the running container's cgroup, then records the merged
 * resources in its state, so later updates and `exec` see them. If the kernel
 * refuses part of it, what was in force is written back (runc does the same).
 * sourceOf says where a field came from (default: no file, no flag), for a
 * refused field's error and an ignored field's warning (kernel memory, as
 * runc 1.1 warns of it).
 */
export function updateContainer(
  store: StateStore,
  id: string,
  change: Resources,
  sourceOf: (where: { field: string }) => ConfigSource = () => ({ kind: 'update' }),
  warn: (message: string) => void = () => {},
): void {
  withContainer(store, id, 'exclusive', (c) => {
    c.require('update');
    for (const p of ignoredResourceFields(change)) {
      warn(describeConfigProblem({ ...p, source: sourceOf({ field: p.path.slice('/linux/resources'.length) }) }));
    }
    const { state } = c;
    const cg = containerCgroup(c);
    const current = state.config.linux?.resources ?? {};
    const facts = hostApplyFacts();
    try {
      applyResources(cg, change, { create: false, current, ...facts });
    } catch (e) {
      const touched = Object.fromEntries(Object.keys(change).map((k) => [k, (current as Obj)[k]]).filter(([, v]) => v !== undefined));
      try {
        applyResources(cg, touched as Resources, { create: false, current, ...facts });
      } catch {
        // best effort, as runc's
      }
      if (e instanceof CgroupError) e.from(sourceOf(e));
      throw e;
    }
    const linux = { ...(state.config.linux ?? {}), resources: mergeResources(current, change) };
    c.dir.writeState({ ...state, config: { ...state.config, linux } });
  });
}
