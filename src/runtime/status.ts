// A container's status is worked out from the live system each time, never
// trusted from the state file: the init's pid and start time, and exec.fifo.
import type { ContainerDir, StoredState } from './state.js';
import { isAlive } from './proc.js';
// Not cgroups/index.js: the lite entry's commands load only this check of the cgroup code (cli/lite-main.ts).
import { cgroupIsFrozen } from '../cgroups/frozen.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export function statusOf(dir: ContainerDir, state: StoredState): Status {
  if (!isAlive(state.pid, state.initStartTime)) return 'stopped';
  // runc reads the freezer first: a paused container is paused even before start.
  if (state.cgroup && cgroupIsFrozen(state.cgroup)) return 'paused';
  if (dir.hasFifo()) return 'created';
  return 'running';
}

/** The state as `tsrun state` prints it: runtime.md's fields, in runc's order. */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner?: string;
}

export function ociState(state: StoredState, status: Status): OciState {
  const out: OciState = {
    ociVersion: state.ociVersion,
    id: state.id,
    pid: status === 'stopped' ? 0 : state.pid,
    status,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
  };
  // runc's order: annotations (only when there are some, keys sorted) before owner.
  if (state.annotations && Object.keys(state.annotations).length) {
    out.annotations = Object.fromEntries(Object.entries(state.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  out.owner = state.owner;
  return out;
}
