// `run`: create, start and, unless detached, wait for the process, forwarding
// signals to it; then delete the container and return runc's exit code.
import { createContainer, type CreateOptions } from './create.js';
import { deleteDamaged, destroyContainer, type DeleteOptions } from './delete.js';
import { DamagedStateError } from '../core/errors.js';
import { undoHostMountsQuietly } from './host-mounts.js';
import { ChildWaiter, launchWithStdio, SignalForwarder } from './foreground.js';
import { NotifyProxy } from './notify-socket.js';
import type { StateStore } from './state.js';
import { startContainer } from './start.js';
import { relayTerminal } from './terminal.js';
import { closeSync } from 'node:fs';
import { Stdio, type ContainerProcess, type ProcessExit, type StdioOptions } from './stdio.js';

export interface RunOptions extends Omit<CreateOptions, 'stdio'> {
  detach?: boolean;
  keep?: boolean;
  /** The signals this process gets go on to the container's process while run waits (the CLI's way; a library's caller keeps its own). */
  forwardSignals?: boolean;
}

/** Creates and starts the container; unless detached, waits and removes it. Resolves to runc's exit code (0 when detached). */
export async function runContainer(store: StateStore, opts: RunOptions): Promise<number> {
  const { done } = await launch(store, opts);
  return done ? (await done).status : 0;
}

/**
 * run for a library caller that asked for stdio: resolves once the process
 * runs, with its streams; exit resolves when it ends (and, unless detached
 * or kept, the container is removed). Detached, the wait starts when exit is
 * first read, and the container stays.
 */
export async function runContainerWithStdio(store: StateStore, opts: RunOptions, options: StdioOptions): Promise<ContainerProcess> {
  return launchWithStdio(store.core, options, (stdio) => launch(store, opts, stdio));
}

interface Launched {
  /** The container's init. */
  pid: number;
  /** Unless detached: the init's end, once the container is removed (unless kept). */
  done?: Promise<ProcessExit>;
}

async function launch(store: StateStore, opts: RunOptions, stdio?: Stdio): Promise<Launched> {
  const signals = opts.detach ? undefined : opts.forwardSignals ? new SignalForwarder(store.core) : new ChildWaiter(store.core);
  let receiveOn: number | undefined;
  let waiting = false;
  try {
    let state;
    try {
      state = createContainer(store, { ...opts, detach: opts.detach === true, stdio, onConsole: (fd) => (receiveOn = fd) });
    } finally {
      // tsrun-init has its copies (or failed): ours would keep the pipes open.
      stdio?.closeGiven();
    }
    let notify: NotifyProxy | undefined;
    try {
      // Bound before start, which then leaves the waiting to us.
      if (opts.notifySocket) notify = NotifyProxy.bind(store.dirOf(opts.id), opts.notifySocket, store.core);
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
      return { pid: state.pid };
    }
    // A terminal and no console socket: we are the terminal's other end.
    const relay = receiveOn === undefined ? undefined : relayTerminal(receiveOn, store.core);
    receiveOn = undefined;
    waiting = true;
    const done = (async () => {
      try {
        // The init is our child (tsrun-init clones it with CLONE_PARENT).
        const exit = await signals.waitExit(state.pid);
        await relay;
        await notified;
        return exit;
      } finally {
        try {
          if (!opts.keep) removeQuietly(store, opts.id, opts);
        } finally {
          signals.stop();
        }
      }
    })();
    return { pid: state.pid, done };
  } finally {
    if (!waiting) signals?.stop();
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
      undoHostMountsQuietly(dir.dir, store.core);
      dir.destroy(); // an unreadable state: nothing to run hooks with
      return;
    }
    // As `delete` does it: the poststop hooks run once the state is gone. What
    // cannot be undone (a cgroup, a host mount) keeps the state, for `delete`.
    destroyContainer(dir, state, store.core, opts);
  } catch (e) {
    opts.onWarning?.((e as Error).message);
  } finally {
    dir.close();
  }
}
