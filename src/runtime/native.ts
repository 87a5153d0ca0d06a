// The C++ addon, typed. Every kernel-facing call of the runtime goes through
// here, which makes this interface the seam unit tests can fake.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { packageRoot } from '../package-root.js';
import path from 'node:path';

export interface WaitResult {
  exited: boolean;
  code: number;
  signal: number;
}

export interface NativeCore {
  /** Execs tsrun-init from a sealed memfd; its socket lands at fd 3 + preserveFds. */
  spawnInit(initPath: string, preserveFds: number): { pid: number; fd: number };
  channelSend(fd: number, type: number, payload: Buffer): void;
  /** Blocks for one message; null when init has closed its end (exited). */
  channelRecv(fd: number): { type: number; payload: Buffer } | null;
  waitPid(pid: number, block: boolean): WaitResult;
  waitPidAsync(pid: number): Promise<WaitResult>;
  flock(fd: number, exclusive: boolean, block: boolean): boolean;
  mkfifo(path: string, mode: number): void;
}

/** An Error from the addon: errno and code as node's own system errors carry them. */
export interface NativeError extends Error {
  errno: number;
  code: string;
  syscall: string;
}

// TSRUN_NATIVE_DIR points at another build of the addon and init (CI checks the node-gyp build with it).
const buildDir = process.env.TSRUN_NATIVE_DIR ?? path.join(packageRoot, 'build', 'Release');

export const initBinaryPath = process.env.TSRUN_INIT_BINARY ?? path.join(buildDir, 'tsrun-init');

let loaded: NativeCore | undefined;

export function native(): NativeCore {
  if (!loaded) {
    const addon = path.join(buildDir, 'tsrun_native.node');
    if (!existsSync(addon)) {
      throw new Error(`the native addon is not built (${addon} is missing): run \`npm install\` or \`npm run build:native\``);
    }
    loaded = createRequire(import.meta.url)(addon) as NativeCore;
  }
  return loaded;
}
