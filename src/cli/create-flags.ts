// The flags `create` and `run` share, and their translation to CreateOptions.
import type { Argv } from 'yargs';
import fs from 'node:fs';
import { TsrunError, UnsupportedError } from '../core/errors.js';
import { openFileLimit } from '../runtime/host.js';
import type { CreateOptions } from '../runtime/create.js';
import { notifySocketFromEnv } from '../runtime/notify-socket.js';

export interface CreateArgs {
  containerId: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
}

export function createFlags<T>(y: Argv<T>) {
  return y
    .positional('container-id', { type: 'string', demandOption: true, describe: 'the container id, unique on this host' })
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' })
    .option('pid-file', { type: 'string', describe: "file to write the container init's pid to" })
    .option('console-socket', { type: 'string', describe: 'unix socket to receive the pty master on' })
    .option('pidfd-socket', { type: 'string', describe: "unix socket to receive a pidfd of the container's init on (SCM_RIGHTS)" })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'do not use pivot_root (for a rootfs on ramfs)' })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'keep the session keyring of the caller' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N more fds (3 .. 3+N-1) to the container' });
}

export function createOptions(argv: CreateArgs): Omit<CreateOptions, 'stdio'> & { id: string; bundle: string } {
  return {
    consoleSocket: argv.consoleSocket,
    pidfdSocket: argv.pidfdSocket,
    id: argv.containerId,
    bundle: argv.bundle,
    pidFile: argv.pidFile,
    noPivot: argv.noPivot,
    noNewKeyring: argv.noNewKeyring,
    ...checkPassedFds(withListenFds(checkPreserveFds(argv.preserveFds))),
    notifySocket: notifySocketFromEnv(),
  };
}

/** --preserve-fds, as `create`, `run` and `exec` take it. */
export function checkPreserveFds(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new UnsupportedError(`--preserve-fds must be a whole number, not ${n}`);
  return n;
}

/**
 * Socket activation, as runc passes it: LISTEN_FDS=N fds (3 .. 3+N-1) meant
 * for us go to the container ahead of --preserve-fds, and its process is
 * told LISTEN_FDS=N, LISTEN_PID=1. LISTEN_PID, when set, must be ours.
 */
export function withListenFds(preserveFds: number): { preserveFds: number; listenFds: number } {
  const n = Number(process.env.LISTEN_FDS ?? '0');
  const pid = process.env.LISTEN_PID;
  if (!Number.isInteger(n) || n <= 0 || (pid !== undefined && Number(pid) !== process.pid)) return { preserveFds, listenFds: 0 };
  return { preserveFds: preserveFds + n, listenFds: n };
}

/**
 * The fds that go to the container (3 .. 3+N-1: LISTEN_FDS, then
 * --preserve-fds) must be open in tsrun, and below the open-file limit with
 * tsrun-init's socket after them. Said here by fd, not as the "Broken pipe"
 * of an init that could not start.
 */
export function checkPassedFds<T extends { preserveFds: number; listenFds?: number }>(fds: T): T {
  const { preserveFds: n, listenFds = 0 } = fds;
  if (n === 0) return fds;
  const flag = `--preserve-fds ${n - listenFds}${listenFds ? ` (after LISTEN_FDS=${listenFds})` : ''}`;
  const limit = openFileLimit();
  if (3 + n >= limit) {
    throw new TsrunError(
      `${flag}: passes fds 3 to ${2 + n}, and tsrun-init's socket goes at fd ${3 + n}: that is not below the open-file limit (RLIMIT_NOFILE ${limit})`,
    );
  }
  // bin/tsrun counted the fds its caller passed before node opened its own
  // (an epoll fd, pipes) in the gaps: only those may go to the container.
  const inherited = Number(process.env.TSRUN_INHERITED_FDS ?? Infinity);
  for (let fd = 3; fd < 3 + n; fd++) {
    let open = fd < 3 + inherited;
    try {
      if (open) fs.fstatSync(fd);
    } catch {
      open = false;
    }
    if (!open) {
      const which = fd < 3 + listenFds ? `LISTEN_FDS=${listenFds}` : flag;
      throw new TsrunError(`${which}: fd ${fd} is not open (fds 3 to ${2 + n} go to the container, so each must be open)`);
    }
  }
  return fds;
}
