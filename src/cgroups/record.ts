// The record of a container's cgroup, as create made it and the state file
// keeps it: what every later command opens, never recomputed from the host.
import type { CgroupMode } from './hierarchy.js';
import type { SystemdRecord } from './systemd-unit.js';

export interface CgroupRecord {
  mode: CgroupMode;
  /** The container's cgroup path, the same in every hierarchy ('/tsrun/c1'). */
  path: string;
  /** Below this path everything is tsrun's (its own parent); '' when only `created` is. */
  ownedFrom: string;
  /** The v1 hierarchies the container is in (none on v2). */
  v1: { mount: string; controllers: string[]; dir: string }[];
  /** Its cgroup in the unified hierarchy: the only one on v2, the extra one on hybrid. */
  unified?: { mount: string; dir: string };
  /** Directories this container's create made, parents first. */
  created: string[];
  /**
   * Set only while create makes the directories: those missing just before.
   * A create killed then leaves them to the sweep, which removes the empty ones.
   */
  making?: string[];
  /** Under the systemd driver: the container's scope, which systemd makes and removes. */
  systemd?: SystemdRecord;
}
