// How `start` waits for init's reply on exec.fifo: asleep in poll(2) on the
// fifo and on a pidfd of init, so no timer adds its latency to a start.
// Linux reports a hang-up on a fifo's read end only once a writer has come
// and gone, so poll sleeps through "init has not opened its end yet"; the
// pidfd wakes it if init dies before it ever does.
import fs from 'node:fs';
import { nativeCore, type NativeCore } from '../core/native.js';
import { isAlive } from './proc.js';

export interface InitProcess {
  pid: number;
  startTime: number;
}

// poll(2) returns to the event loop this often while init takes long (slow
// startContainer hooks), so that signal handlers (run's forwarding) run.
const LOOP_TURN_MS = 100;

/**
 * Reads init's reply from fifo (exec.fifo's read end, opened O_NONBLOCK) up
 * to EOF, keeping at most limit bytes. EOF comes when init has exec'd (its
 * end is close-on-exec) or exited.
 */
export async function readInitReply(fifo: number, init: InitProcess, limit: number, core: NativeCore = nativeCore): Promise<Buffer> {
  let pidfd = core.pidfdOpen(init.pid);
  // A pidfd of a pid reused by another process is not init's.
  if (pidfd >= 0 && !isAlive(init.pid, init.startTime)) {
    fs.closeSync(pidfd);
    pidfd = -1;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const read = (): number => {
    const buf = Buffer.alloc(4096);
    try {
      const n = fs.readSync(fifo, buf, 0, buf.length, null);
      if (n > 0 && total < limit) chunks.push(buf.subarray(0, n));
      total += n;
      return n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return -1;
      throw e;
    }
  };
  try {
    // Whether poll has said the fifo is ready: then a read of 0 is EOF, not
    // "no writer yet".
    let fifoReady = false;
    let initGone = pidfd < 0;
    for (;;) {
      const n = read();
      if (n > 0) continue;
      // Once init is gone, the read after its exit took what it wrote.
      if (n === 0 && (total > 0 || fifoReady || initGone)) break;
      const ready = core.waitReadable(initGone ? [fifo] : [fifo, pidfd], LOOP_TURN_MS);
      fifoReady = ready[0];
      if (ready[1]) initGone = true;
      if (!ready.some(Boolean)) await new Promise((r) => setImmediate(r));
    }
  } finally {
    if (pidfd >= 0) fs.closeSync(pidfd);
  }
  return Buffer.concat(chunks);
}
