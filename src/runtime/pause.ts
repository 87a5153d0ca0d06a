// `pause` and `resume`: the container's cgroup freezer. Status rules and messages are runc's (container.ts).
import type { StateStore } from './state.js';
import { withContainer } from './container.js';
import { containerCgroup } from './container-cgroup.js';

/** runc's pause: a running or created container is frozen; anything else is "not running". */
export function pauseContainer(store: StateStore, id: string): void {
  withContainer(store, id, 'exclusive', (c) => {
    c.require('pause');
    containerCgroup(c).freeze();
  });
}

export function resumeContainer(store: StateStore, id: string): void {
  withContainer(store, id, 'exclusive', (c) => {
    c.require('resume');
    containerCgroup(c).thaw();
  });
}
