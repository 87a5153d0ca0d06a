// `start`: release the init waiting on exec.fifo, so it execs the process.
import fs from 'node:fs';
import { StatusError, TsrunError } from './errors.js';
import { isAlive } from './proc.js';
import type { ContainerDir, StateStore, StoredState } from './state.js';
import { statusOf } from './status.js';

export async function startContainer(store: StateStore, id: string): Promise<void> {
  const dir = store.open(id);
  try {
    const state = dir.readState();
    const status = statusOf(dir, state);
    if (status === 'stopped') throw new StatusError('cannot start a container that has stopped');
    if (status !== 'created') throw new StatusError('cannot start an already running container');
    await releaseInit(dir, state);
  } finally {
    dir.close();
  }
}

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
  try {
    const fh = await opening;
    try {
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(1), 0, 1, null);
      if (bytesRead !== 1 || buffer[0] !== 0x30) {
        throw new TsrunError("cannot start the container: its init exited before it was started");
      }
    } finally {
      await fh.close();
    }
  } finally {
    clearInterval(watch);
  }
  fs.rmSync(dir.fifoPath, { force: true });
}
