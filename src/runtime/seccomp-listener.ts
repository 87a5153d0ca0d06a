// The seccomp notify listener handoff (config-linux.md "Seccomp",
// listenerPath, and "The Container Process State"): the container process
// state as JSON, with the listener fd in SCM_RIGHTS, over one SOCK_STREAM
// connection that is closed afterwards.
import { ConfigPathError } from '../core/errors.js';
import type { Status } from './status.js';
import { nativeCore, type NativeCore } from '../core/native.js';

/** The container as the agent sees it: runtime.md "State" while the container is being created. */
export interface ListenerContainer {
  ociVersion: string;
  id: string;
  /** The container's init, as the runtime sees it. */
  pid: number;
  /** The process the filter is on, when it is not the init (exec). */
  processPid?: number;
  /** Absent while create runs: "creating". */
  status?: Status;
  bundle: string;
  annotations?: Record<string, string>;
}

/** The JSON sent to listenerPath. */
export function containerProcessState(c: ListenerContainer, metadata: string | undefined): Record<string, unknown> {
  return {
    ociVersion: c.ociVersion,
    fds: ['seccompFd'],
    pid: c.processPid ?? c.pid,
    ...(metadata !== undefined ? { metadata } : {}),
    state: {
      ociVersion: c.ociVersion,
      id: c.id,
      // During create the process has not exec'd yet: "creating", as runc says.
      status: c.status ?? 'creating',
      pid: c.pid,
      bundle: c.bundle,
      ...(c.annotations && Object.keys(c.annotations).length ? { annotations: c.annotations } : {}),
    },
  };
}

/**
 * Sends the state and the listener fd to listenerPath. The fd stays the
 * caller's to close. A failure is create's error, as the spec requires.
 */
export function sendSeccompListener(
  listenerPath: string,
  metadata: string | undefined,
  fd: number,
  container: ListenerContainer,
  core: NativeCore = nativeCore,
): void {
  const payload = Buffer.from(JSON.stringify(containerProcessState(container, metadata)));
  try {
    core.sendFdToUnixSocket(listenerPath, payload, fd);
  } catch (e) {
    throw new ConfigPathError('/linux/seccomp/listenerPath', `cannot send the seccomp listener to ${listenerPath}: ${(e as Error).message}`);
  }
}
