// `delete`: remove a stopped container; with --force, kill a live one first.
import { ContainerNotFoundError, StatusError, TsrunError } from './errors.js';
import { isAlive } from './proc.js';
import type { StateStore } from './state.js';
import { statusOf } from './status.js';

export function deleteContainer(store: StateStore, id: string, force: boolean): void {
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
      try {
        process.kill(state.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      waitUntilGone(state.pid, state.initStartTime);
    }
    dir.destroy();
  } finally {
    dir.close();
  }
}

/** Polls, since the init is usually not our child: a zombie counts as gone. */
export function waitUntilGone(pid: number, startTime: number, timeoutMs = 10_000): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; isAlive(pid, startTime); delay = Math.min(delay * 2, 50)) {
    if (Date.now() > deadline) throw new TsrunError(`the container's init (pid ${pid}) did not die after SIGKILL`);
    Atomics.wait(sleeper, 0, 0, delay);
  }
}
