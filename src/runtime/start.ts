// `start`: release the init waiting on exec.fifo, so it runs the
// startContainer hooks and execs the process; then the poststart hooks.
import fs from 'node:fs';
import { StatusError, TsrunError } from '../core/errors.js';
import { HOOK_OUTCOME_BYTES, initHookFailure, runHooksWarning } from './hooks.js';
import { HOOK_FAILED_BYTE } from './init-protocol.js';
import { NotifyProxy } from './notify-socket.js';
import { readInitReply } from './init-reply.js';
import type { NativeCore } from '../core/native.js';
import type { StateStore, StoredState } from './state.js';
import { decode } from './wire.js';
import { Container } from './container.js';

export interface StartOptions {
  onWarning?(message: string): void;
  /** NOTIFY_SOCKET (the host's): wait for the container's READY= and pass it on (notify-socket.ts). */
  notifySocket?: string;
}

export async function startContainer(store: StateStore, id: string, opts: StartOptions = {}): Promise<void> {
  const container = Container.open(store, id);
  const { dir, state } = container;
  let notify: NotifyProxy | undefined;
  let fifo: number | undefined;
  try {
    container.require('start');
    if (opts.notifySocket) notify = NotifyProxy.bind(dir.dir, opts.notifySocket, store.core);
    // Last: the claim releases init, so nothing may fail after it.
    fifo = claimFifo(dir.fifoPath, store.core);
  } catch (e) {
    notify?.close();
    throw e;
  } finally {
    container.close();
  }
  // Unlocked while init runs the startContainer hooks and execs, which may
  // take long (or forever, in a container frozen by hand): state, kill and
  // delete -f must not wait for that, and a signal ends this wait.
  try {
    await releaseInit(fifo, state, store.core);
    // Before the claim goes: another start would find the fifo with no writer.
    // unlink, not fs.rmSync, which loads node's rimraf first (about 1.5 ms).
    unlinkIfThere(dir.fifoPath);
  } catch (e) {
    notify?.close();
    throw e;
  } finally {
    fs.closeSync(fifo);
  }
  // A failure is a warning and the container runs on: runtime.md's
  // lifecycle, step "poststart". Unlocked, so a hook may run `tsrun state`.
  const { ociVersion, bundle, annotations, pid } = state;
  runHooksWarning(state.config, 'poststart', { ociVersion, id, status: 'running', pid, bundle, annotations }, (m) =>
    opts.onWarning?.(m),
  );
  // Unlocked too: engines call `tsrun state` while the container gets ready.
  await notify?.forward({ pid, startTime: state.initStartTime }, pid, opts.onWarning);
}

/**
 * Opens exec.fifo's read end (which releases init, waiting to open its
 * write end) and locks it, so that of two starts only one goes on once the
 * container's lock is released; the lock goes with the fd, even on kill -9.
 */
function claimFifo(fifoPath: string, core: NativeCore): number {
  const fd = fs.openSync(fifoPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  if (!core.flock(fd, true, false)) {
    fs.closeSync(fd);
    throw new StatusError('cannot start an already running container');
  }
  return fd;
}

function unlinkIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

// Init's reply is a few bytes, or one error message (native/protocol.h).
const REPLY_LIMIT = 64 * 1024;

/**
 * Init runs the startContainer hooks, writes "0" and holds its end until its
 * execve: EOF after "0" means the process runs, anything else is a hook's
 * failure (init has exited). Waited for in poll(2), not with timers (init-reply.ts).
 */
async function releaseInit(fifo: number, state: StoredState, core: NativeCore): Promise<void> {
  const reply = await readInitReply(fifo, { pid: state.pid, startTime: state.initStartTime }, REPLY_LIMIT, core);
  if (reply[0] !== 0x30) {
    // A startContainer hook's failure, as data; init has exited.
    if (reply[0] === HOOK_FAILED_BYTE) throw initHookFailure(decode(reply.subarray(1), HOOK_OUTCOME_BYTES) as { [key: string]: unknown });
    if (reply.length) throw new TsrunError(reply.toString('utf8'));
    throw new TsrunError('cannot start the container: its init exited before it was started');
  }
}
