// --pidfd-socket (runc 1.2): we connect to the caller's unix socket and pass
// it to tsrun-init, whose process sends a pidfd of itself over it
// (native/init/pidfd.cc), as runc's init does.
import fs from 'node:fs';
import { TsrunError } from '../core/errors.js';
import type { NativeCore } from '../core/native.js';

/** The connected socket for init, or undefined without the flag. */
export function connectPidfdSocket(socketPath: string | undefined, core: Pick<NativeCore, 'connectUnix'>): number | undefined {
  if (socketPath === undefined) return undefined;
  try {
    return core.connectUnix(socketPath);
  } catch (e) {
    throw new TsrunError(`--pidfd-socket ${socketPath}: cannot connect to it: ${(e as Error).message}`);
  }
}

/** Our copy, once init has its own (or has failed). */
export function closePidfdSocket(fd: number | undefined): void {
  if (fd !== undefined) fs.closeSync(fd);
}
