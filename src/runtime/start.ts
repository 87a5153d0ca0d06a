// `start`: release the init waiting on exec.fifo, so it runs the
// startContainer hooks and execs the process; then the poststart hooks.
import fs from 'node:fs';
import { StatusError, TsrunError } from './errors.js';
import { runHooksWarning } from './hooks.js';
import { NotifyProxy } from './notify-socket.js';
import { readInitReply } from './init-reply.js';
import type { ContainerDir, StateStore, StoredState } from './state.js';
import { statusOf } from './status.js';

export interface StartOptions {
  onWarning?(message: string): void;
  /** NOTIFY_SOCKET (the host's): wait for the container's READY= and pass it on (notify-socket.ts). */
  notifySocket?: string;
}

export async function startContainer(store: StateStore, id: string, opts: StartOptions = {}): Promise<void> {
  const dir = store.open(id);
  let state: StoredState;
  let notify: NotifyProxy | undefined;
  try {
    state = dir.readState();
    const status = statusOf(dir, state);
    if (status === 'stopped') throw new StatusError('cannot start a container that has stopped');
    if (status !== 'created') throw new StatusError('cannot start an already running container');
    if (opts.notifySocket) notify = NotifyProxy.bind(dir.dir, opts.notifySocket);
    await releaseInit(dir, state);
  } catch (e) {
    notify?.close();
    throw e;
  } finally {
    dir.close();
  }
  // Unlocked first, so a hook may run `tsrun state`. A failure is a warning
  // and the container runs on: runtime.md's lifecycle, step "poststart".
  const { ociVersion, bundle, annotations, pid } = state;
  runHooksWarning(state.config, 'poststart', { ociVersion, id, status: 'running', pid, bundle, annotations }, (m) =>
    opts.onWarning?.(m),
  );
  // Unlocked too: engines call `tsrun state` while the container gets ready.
  await notify?.forward({ pid, startTime: state.initStartTime }, pid, opts.onWarning);
}

// Init's reply is a few bytes, or one error message (native/protocol.h).
const REPLY_LIMIT = 64 * 1024;

async function releaseInit(dir: ContainerDir, state: StoredState): Promise<void> {
  // Init waits to open its end for writing: this open releases it, and does not block.
  const fifo = fs.openSync(dir.fifoPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let reply: Buffer;
  try {
    reply = readInitReply(fifo, { pid: state.pid, startTime: state.initStartTime }, REPLY_LIMIT);
  } finally {
    fs.closeSync(fifo);
  }
  if (reply[0] !== 0x30) {
    // Anything else is a startContainer hook's failure; init has exited.
    if (reply.length) throw new TsrunError(reply.toString('utf8'));
    throw new TsrunError('cannot start the container: its init exited before it was started');
  }
  fs.rmSync(dir.fifoPath, { force: true });
}
