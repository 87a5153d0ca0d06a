// `delete`: remove a stopped container; with --force, kill a live one first.
import fs from 'node:fs';
import { constants } from 'node:os';
import { ContainerNotFoundError, StatusError, TsrunError } from './errors.js';
import { runHooksWarning } from './hooks.js';
import { openCgroup } from '../cgroups/index.js';
import { native } from './native.js';
import { isAlive } from './proc.js';
import type { ContainerDir, StateStore, StoredState } from './state.js';
import { statusOf } from './status.js';

export interface DeleteOptions {
  onWarning?(message: string): void;
}

export function deleteContainer(store: StateStore, id: string, force: boolean, opts: DeleteOptions = {}): void {
  let dir;
  try {
    dir = store.open(id);
  } catch (e) {
    if (force && e instanceof ContainerNotFoundError) return;
    throw e;
  }
  try {
    const state = dir.readState();
    const status = statusOf(dir, state);
    // A created container has run nothing of the user's yet: runc deletes it without --force.
    if (status === 'running' || status === 'paused') {
      if (!force) throw new StatusError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    if (status !== 'stopped') {
      // Through the cgroup when there is one: it also thaws a paused container, whose v1-frozen init would not die.
      if (state.cgroup) openCgroup(state.cgroup).kill(constants.signals.SIGKILL);
      try {
        process.kill(state.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      waitUntilGone(state.pid, state.initStartTime);
    }
    destroyContainer(dir, state, opts);
  } finally {
    dir.close();
  }
}

/**
 * Removes a stopped container's state, then runs its poststop hooks: after
 * the container is gone, before delete returns; a failure only warns.
 */
export function destroyContainer(dir: ContainerDir, state: StoredState, opts: DeleteOptions = {}): void {
  // What is left in the cgroup dies with it (processes outside the pid namespace's reach);
  // if the cgroup will not go, the state stays so that delete can be tried again.
  if (state.cgroup) openCgroup(state.cgroup).destroy();
  dir.destroy();
  const { ociVersion, id, bundle, annotations } = state;
  runHooksWarning(state.config, 'poststop', { ociVersion, id, status: 'stopped', bundle, annotations }, (m) =>
    opts.onWarning?.(m),
  );
}

/**
 * Waits, asleep in poll(2) on a pidfd (the init is usually not our child, so
 * no waitpid), until init has exited: a zombie counts as gone.
 */
export function waitUntilGone(pid: number, startTime: number, timeoutMs = 10_000): void {
  const core = native();
  const pidfd = core.pidfdOpen(pid);
  if (pidfd < 0) return;
  try {
    // The pid may be another process's by now: then init is long gone.
    if (!isAlive(pid, startTime)) return;
    if (!core.waitReadable([pidfd], timeoutMs)[0]) throw new TsrunError(`the container's init (pid ${pid}) did not die after SIGKILL`);
  } finally {
    fs.closeSync(pidfd);
  }
}
