// `run`: create, start and, unless detached, wait for the process, forwarding
// signals to it; then delete the container and return runc's exit code.
import { createContainer, type CreateOptions } from './create.js';
import { deleteDamaged, destroyContainer, type DeleteOptions } from './delete.js';
import { DamagedStateError } from '../core/errors.js';
import { undoHostMountsQuietly } from './host-mounts.js';
import { ChildWaiter, SignalForwarder } from './foreground.js';
import { NotifyProxy } from './notify-socket.js';
import type { StateStore } from './state.js';
import { startContainer } from './start.js';
import { relayTerminal } from './terminal.js';
import { closeSync } from 'node:fs';

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
  /** The signals this process gets go on to the container's process while run waits (the CLI's way; a library's caller keeps its own). */
  forwardSignals?: boolean;
}

export async function runContainer(store: StateStore, opts: RunOptions): Promise<number> {
  const signals = opts.detach ? undefined : opts.forwardSignals ? new SignalForwarder(store.core) : new ChildWaiter(store.core);
  let receiveOn: number | undefined;
  try {
    const state = createContainer(store, { ...opts, detach: opts.detach === true, onConsole: (fd) => (receiveOn = fd) });
    let notify: NotifyProxy | undefined;
    try {
      // Bound before start, which then leaves the waiting to us.
      if (opts.notifySocket) notify = NotifyProxy.bind(store.dirOf(opts.id), opts.notifySocket);
      await startContainer(store, opts.id, { onWarning: opts.onWarning });
    } catch (e) {
      notify?.close();
      removeQuietly(store, opts.id, opts);
      throw e;
    }
    // As runc's run, a failure here only warns. In the foreground tsrun stays
    // the process to watch, so MAINPID is ours, and it waits alongside the container.
    const init = { pid: state.pid, startTime: state.initStartTime };
    const notified = notify
      ?.forward(init, signals ? process.pid : state.pid, opts.onWarning)
      .catch((e) => opts.onWarning?.(`NOTIFY_SOCKET: ${(e as Error).message}`));
    if (!signals) {
      await notified;
      return 0;
    }
    // A terminal and no console socket: we are the terminal's other end.
    const relay = receiveOn === undefined ? undefined : relayTerminal(receiveOn);
    receiveOn = undefined;
    try {
      // The init is our child (tsrun-init clones it with CLONE_PARENT).
      const code = await signals.wait(state.pid);
      await relay;
      await notified;
      return code;
    } finally {
      if (!opts.keep) removeQuietly(store, opts.id, opts);
    }
  } finally {
    signals?.stop();
    if (receiveOn !== undefined) closeSync(receiveOn);
  }
}

function removeQuietly(store: StateStore, id: string, opts: DeleteOptions): void {
  let dir;
  try {
    dir = store.open(id);
  } catch {
    return; // already removed
  }
  try {
    let state;
    try {
      state = dir.readState();
    } catch (e) {
      // Damaged meanwhile: the recovery records still find its init and cgroup.
      if (e instanceof DamagedStateError) {
        deleteDamaged(dir, e, opts, store.core);
        return;
      }
      undoHostMountsQuietly(dir.dir);
      dir.destroy(); // an unreadable state: nothing to run hooks with
      return;
    }
    // As `delete` does it: the poststop hooks run once the state is gone. What
    // cannot be undone (a cgroup, a host mount) keeps the state, for `delete`.
    destroyContainer(dir, state, opts);
  } catch (e) {
    opts.onWarning?.((e as Error).message);
  } finally {
    dir.close();
  }
}
