// `ps`'s pid list: every process in the container's cgroup.
import type { StateStore } from './state.js';
import { withContainer } from './container.js';
import { containerCgroup } from './container-cgroup.js';

/** Every pid (as the host sees it) in the container's cgroup; none once it is gone. */
export function containerPids(store: StateStore, id: string): number[] {
  return withContainer(store, id, 'shared', (c) => {
    const cg = containerCgroup(c);
    return cg.exists() ? cg.pids() : [];
  });
}
