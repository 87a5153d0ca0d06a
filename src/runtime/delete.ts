// `delete`: remove a stopped container; with --force, kill a live one first.
import fs from 'node:fs';
import { constants } from 'node:os';
import { ContainerNotFoundError, DamagedStateError, TsrunError } from '../core/errors.js';
import { runHooksWarning } from './hooks.js';
import { openCgroup } from '../cgroups/index.js';
import { nativeCore, type NativeCore } from '../core/native.js';
import { isAlive } from './proc.js';
import { undoHostMounts } from './host-mounts.js';
import { undoCriuYards } from './criu-yards.js';
import type { ContainerDir, StateStore, StoredState } from './state.js';
import { Container } from './container.js';

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
    let container: Container;
    try {
      container = Container.of(dir);
    } catch (e) {
      if (!(force && e instanceof DamagedStateError)) throw e;
      deleteDamaged(dir, e, opts, store.core);
      return;
    }
    const { state, status } = container;
    container.require('delete', { force });
    if (status !== 'stopped') {
      // Through the cgroup when there is one: it also thaws a paused container, whose v1-frozen init would not die.
      if (state.cgroup) openCgroup(state.cgroup).kill(constants.signals.SIGKILL);
      try {
        process.kill(state.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      waitUntilGone(state.pid, state.initStartTime, undefined, store.core);
    }
    destroyContainer(dir, state, store.core, opts);
  } finally {
    dir.close();
  }
}

/**
 * Removes a stopped container's state, then runs its poststop hooks: after
 * the container is gone, before delete returns; a failure only warns.
 */
export function destroyContainer(dir: ContainerDir, state: StoredState, core: NativeCore, opts: DeleteOptions = {}): void {
  // What is left in the cgroup dies with it (processes outside the pid namespace's reach);
  // if the cgroup will not go, the state stays so that delete can be tried again.
  if (state.cgroup) openCgroup(state.cgroup).destroy();
  // Without a mount namespace its mounts are the host's: undone by their recorded ids, once nothing runs in it.
  undoHostMounts(dir.dir, core);
  // A restore killed with its CRIU after recording the container: CRIU's cgroup yard, by the restore's record.
  undoCriuYards(dir.dir, core, opts.onWarning);
  dir.destroy();
  const { ociVersion, id, bundle, annotations } = state;
  runHooksWarning(state.config, 'poststop', { ociVersion, id, status: 'stopped', bundle, annotations }, (m) =>
    opts.onWarning?.(m),
  );
}

/**
 * `delete -f` of a container whose state.json is unusable: the init record
 * (pid and start time) and the cgroup record, written before it, still find
 * what to kill and remove. A pid whose start time differs is someone else's
 * now and is left alone. The poststop hooks were in the lost config.
 */
export function deleteDamaged(dir: ContainerDir, damage: DamagedStateError, opts: DeleteOptions, core: NativeCore): void {
  const init = dir.readInitRecord();
  const record = dir.readCgroupRecord();
  const cgroup = typeof record === 'string' ? undefined : openCgroup(record);
  // Through the cgroup first: it also thaws a paused container, whose v1-frozen init would not die.
  if (cgroup?.exists()) cgroup.kill(constants.signals.SIGKILL);
  if (typeof init !== 'string' && isAlive(init.pid, init.initStartTime)) {
    try {
      process.kill(init.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    waitUntilGone(init.pid, init.initStartTime, undefined, core);
  }
  cgroup?.destroy();
  // Without a mount namespace its mounts are the host's: their record is a file of its own, still readable.
  undoHostMounts(dir.dir, core);
  undoCriuYards(dir.dir, core, opts.onWarning);
  dir.destroy();
  let left = '';
  if (typeof record === 'string') left += `; ${record}: its cgroup, if it had one, is left`;
  if (typeof record === 'string' && typeof init === 'string') left += `; ${init}: its init, if alive, is left`;
  opts.onWarning?.(`container ${damage.id}: removed with a damaged state file ${damage.file} (${damage.reason}); its poststop hooks were not run${left}`);
}

/**
 * Waits, asleep in poll(2) on a pidfd (the init is usually not our child, so
 * no waitpid), until init has exited: a zombie counts as gone.
 */
export function waitUntilGone(pid: number, startTime: number, timeoutMs = 10_000, core: NativeCore = nativeCore): void {
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
