// NOTIFY_SOCKET (sd_notify), proxied as runc does it; runc behaviour, not
// runtime-spec. systemd's socket is outside the container, so the container
// gets a socket of ours in its state dir instead, and once it says READY=,
// we tell the host READY, MAINPID and wait on a barrier. Datagram sockets
// are in the addon (native/notify.cc): node has none.
import fs from 'node:fs';
import path from 'node:path';
import type { Config, Mount } from '../spec/types.js';
import type { NativeCore } from '../core/native.js';
import { isAlive } from './proc.js';
import { NOTIFY_DIR } from './state.js';

export const NOTIFY_SOCKET_NAME = 'notify.sock';
/** Where the container finds the notify dir. */
export const CONTAINER_NOTIFY_DIR = '/run/notify';
// runc's intervals: how often the init is checked while READY= has not come,
// and how long the host may take to acknowledge the barrier.
const POLL_MS = 100;
const BARRIER_TIMEOUT_MS = 30_000;

/** NOTIFY_SOCKET from tsrun's own environment; empty counts as unset, as for runc. */
export function notifySocketFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.NOTIFY_SOCKET || undefined;
}

/**
 * create: makes <state dir>/notify and returns the config to build the
 * container from: that dir bound read-only at /run/notify, after the config's
 * own mounts, and NOTIFY_SOCKET in the process's env. The stored config stays
 * the bundle's, so exec's processes do not get it (runc's exec reads config.json).
 */
export function withNotifySocket(config: Config, stateDir: string): Config {
  const dir = path.join(stateDir, NOTIFY_DIR);
  fs.mkdirSync(dir, { mode: 0o755 });
  const mount: Mount = { destination: CONTAINER_NOTIFY_DIR, source: dir, options: ['bind', 'nosuid', 'noexec', 'nodev', 'ro'] };
  const env = `NOTIFY_SOCKET=${path.posix.join(CONTAINER_NOTIFY_DIR, NOTIFY_SOCKET_NAME)}`;
  return {
    ...config,
    mounts: [...(config.mounts ?? []), mount],
    ...(config.process && { process: { ...config.process, env: [...(config.process.env ?? []), env] } }),
  };
}

/** The kernel calls of the proxy (the runtime's core; a fake in unit tests). */
export type NotifySyscalls = Pick<NativeCore, 'notifyBind' | 'notifyConnect' | 'notifyRecvReady' | 'notifyReady'>;

/** The container's end: bound before its process runs, so that no datagram is lost. */
export class NotifyProxy {
  private constructor(
    private fd: number,
    private readonly host: string,
    private readonly core: NotifySyscalls,
  ) {}

  /** Binds <stateDir>/notify/notify.sock (0777: any user in the container may notify). */
  static bind(stateDir: string, host: string, core: NotifySyscalls): NotifyProxy {
    return new NotifyProxy(core.notifyBind(path.join(stateDir, NOTIFY_DIR, NOTIFY_SOCKET_NAME)), host, core);
  }

  /**
   * Waits for the container's READY= while the init lives, then sends the host
   * that line, MAINPID=mainPid and the barrier. An init that exits first ends
   * the wait quietly: there is nothing to report. Always closes the socket.
   */
  async forward(init: { pid: number; startTime: number }, mainPid: number, onWarning?: (m: string) => void): Promise<void> {
    let hostFd = -1;
    try {
      // Dialled first, as runc does: a host socket that is not there fails now, not at READY.
      hostFd = this.core.notifyConnect(this.host);
      for (;;) {
        const ready = await this.core.notifyRecvReady(this.fd, POLL_MS);
        if (ready !== null) {
          if (!(await this.core.notifyReady(hostFd, ready, mainPid, BARRIER_TIMEOUT_MS))) {
            onWarning?.('Timeout after waiting 30s for barrier. Ignored.');
          }
          return;
        }
        // A zombie counts as gone: `run`'s init is our child and stays one until reaped.
        if (!isAlive(init.pid, init.startTime)) return;
      }
    } finally {
      if (hostFd >= 0) fs.closeSync(hostFd);
      this.close();
    }
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
