// Output of the commands that print once and end (state, list, ps, features),
// written to fd 1 itself: process.stdout would be made for it, which loads
// node's stream modules (and net for a pipe): ~10 ms of such a command.
import fs from 'node:fs';

export function writeStdout(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off);
    } catch (e) {
      // fd 1 is non-blocking (someone sharing it made it so): process.stdout waits for it.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      process.stdout.write(buf.subarray(off));
      return;
    }
  }
}
