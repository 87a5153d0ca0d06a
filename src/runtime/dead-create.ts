// What a create (or restore) killed midway leaves outside its state
// directory, undone from the records in it before the sweep removes the
// directory (StateStore's DeadCreateUndo): its cgroup, mounts on the host of a
// container without a mount namespace, CRIU's cgroup yards.
import path from 'node:path';
import { destroyCgroupQuietly } from '../cgroups/index.js';
import type { NativeCore } from '../core/native.js';
import { undoCriuYardsQuietly } from './criu-yards.js';
import { undoHostMountsQuietly } from './host-mounts.js';
import { CGROUP_FILE } from './state.js';

/** False if mounts stay (the records are kept, for a later sweep); a cgroup that cannot go is left to an administrator. */
export function undoDeadCreate(dir: string, core: NativeCore): boolean {
  destroyCgroupQuietly(path.join(dir, CGROUP_FILE));
  // Mounts on the host (no mount namespace) that cannot be undone keep the record, for a later sweep.
  if (!undoHostMountsQuietly(dir, core)) return false;
  // A restore killed with its CRIU: CRIU's cgroup yard in the restore's work directory.
  return undoCriuYardsQuietly(dir, core);
}
