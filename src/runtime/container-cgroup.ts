// A container's cgroup, opened from its stored record, for the commands that
// act on it (pause, resume, update, ps, events). Apart from container.ts, so
// that the lite entry's commands (state, list, kill, start) do not load the cgroup classes.
import { openCgroup, type Cgroup } from '../cgroups/index.js';
import { TsrunError } from '../core/errors.js';
import type { Container } from './container.js';

/** The container's cgroup; a container recorded without one (a rootless one without permission to make one) cannot be paused, updated or watched. */
export function containerCgroup(c: Container): Cgroup {
  if (!c.state.cgroup) {
    throw new TsrunError(
      `container ${c.id} has no cgroup of its own: it is a rootless container created without permission to make one ` +
        '(delegate a cgroup v2 subtree to the user to have one), so pause, resume, update, ps and events cannot act on it (events --stats prints zero stats, as runc does)',
    );
  }
  return openCgroup(c.state.cgroup);
}
