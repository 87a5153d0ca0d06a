// The commands that act on a container through its cgroup: pause, resume,
// ps's pid list and update. Status rules and messages are runc's.
import type { Resources } from '../spec/types.js';
import { StatusError, TsrunError } from '../runtime/errors.js';
import type { ContainerDir, StateStore, StoredState } from '../runtime/state.js';
import { statusOf, type Status } from '../runtime/status.js';
import type { Cgroup } from './cgroup.js';
import { CgroupError } from './errors.js';
import { hostApplyFacts, openCgroup } from './index.js';

function withContainer<T>(store: StateStore, id: string, exclusive: boolean, fn: (dir: ContainerDir, state: StoredState, status: Status) => T): T {
  const dir = store.open(id, !exclusive);
  try {
    const state = dir.readState();
    return fn(dir, state, statusOf(dir, state));
  } finally {
    dir.close();
  }
}

function cgroupOf(state: StoredState): Cgroup {
  if (!state.cgroup) {
    throw new TsrunError(
      `container ${state.id} has no cgroup of its own: it is a rootless container created without permission to make one ` +
        '(delegate a cgroup v2 subtree to the user to have one), so pause, resume, ps and update cannot act on it',
    );
  }
  return openCgroup(state.cgroup);
}

/** runc's pause: a running or created container is frozen; anything else is "not running". */
export function pauseContainer(store: StateStore, id: string): void {
  withContainer(store, id, true, (_dir, state, status) => {
    if (status !== 'running' && status !== 'created') throw new StatusError('container not running');
    cgroupOf(state).freeze();
  });
}

export function resumeContainer(store: StateStore, id: string): void {
  withContainer(store, id, true, (_dir, state, status) => {
    if (status !== 'paused') throw new StatusError('container not paused');
    cgroupOf(state).thaw();
  });
}

/** Every pid in the container's cgroup; none once it is gone. */
export function containerPids(store: StateStore, id: string): number[] {
  return withContainer(store, id, false, (_dir, state) => {
    const cg = cgroupOf(state);
    return cg.exists() ? cg.pids() : [];
  });
}

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
 * `update`: applies change to the running container's cgroup, then records
 * the merged resources in its state, so later updates and `exec` see them.
 * If the kernel refuses part of it, what was in force is written back
 * (runc does the same). relabel says where a refused field came from.
 */
export function updateContainer(store: StateStore, id: string, change: Resources, relabel: (e: CgroupError) => void): void {
  withContainer(store, id, true, (dir, state, status) => {
    if (status === 'stopped') throw new StatusError('container not running');
    const cg = cgroupOf(state);
    const current = state.config.linux?.resources ?? {};
    const facts = hostApplyFacts();
    try {
      cg.apply(change, { create: false, current, ...facts });
    } catch (e) {
      const touched = Object.fromEntries(Object.keys(change).map((k) => [k, (current as Obj)[k]]).filter(([, v]) => v !== undefined));
      try {
        cg.apply(touched as Resources, { create: false, current, ...facts });
      } catch {
        // best effort, as runc's
      }
      if (e instanceof CgroupError) relabel(e);
      throw e;
    }
    const linux = { ...(state.config.linux ?? {}), resources: mergeResources(current, change) };
    dir.writeState({ ...state, config: { ...state.config, linux } });
  });
}
