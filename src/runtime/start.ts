// `start`: release the init waiting on exec.fifo, so it runs the
// startContainer hooks and execs the process; then the poststart hooks.
import fs from 'node:fs';
import { StatusError, TsrunError } from './errors.js';
import { runHooksWarning } from './hooks.js';
import { NotifyProxy } from './notify-socket.js';
import { isAlive } from './proc.js';
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
  // The open blocks until init opens its end for writing, which it does as
  // soon as it waits; on a pool thread, so we can watch init meanwhile.
  const opening = fs.promises.open(dir.fifoPath, 'r');
  const watch = setInterval(() => {
    if (!isAlive(state.pid, state.initStartTime)) {
      // Init died: open the write end ourselves so the pending open returns
      // and the read below sees EOF instead of hanging.
      try {
        fs.closeSync(fs.openSync(dir.fifoPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        // no reader yet: the next tick tries again
      }
    }
  }, 20);
  let reply: Buffer;
  try {
    const fh = await opening;
    try {
      // Init runs the startContainer hooks, writes "0" and holds its end
      // until its execve: EOF means the process runs (or init is gone).
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const { bytesRead, buffer } = await fh.read(Buffer.alloc(4096), 0, 4096, null);
        if (bytesRead === 0) break;
        if (total < REPLY_LIMIT) chunks.push(buffer.subarray(0, bytesRead));
        total += bytesRead;
      }
      reply = Buffer.concat(chunks);
    } finally {
      await fh.close();
    }
  } finally {
    clearInterval(watch);
  }
  if (reply[0] !== 0x30) {
    // Anything else is a startContainer hook's failure; init has exited.
    if (reply.length) throw new TsrunError(reply.toString('utf8'));
    throw new TsrunError('cannot start the container: its init exited before it was started');
  }
  fs.rmSync(dir.fifoPath, { force: true });
}
