// A recording fake of the native core (src/core/native.ts NativeCore), as
// youki tests libcontainer through its Syscall trait's test implementation:
// a Runtime given it makes no addon call, and the test reads back what the
// runtime asked the kernel for. What a test does not script throws, by name.
import { spawnSync } from 'node:child_process';
import type { NativeCore, WaitResult } from '../../../src/core/native.js';

export interface Call {
  name: keyof NativeCore;
  args: unknown[];
}

export class RecordingCore implements NativeCore {
  readonly calls: Call[] = [];
  /** What flock answers (true: got the lock). */
  flockResult: (fd: number, exclusive: boolean, block: boolean) => boolean = () => true;
  /** Runs at each waitReadable: a test plays the other end here (init writing and closing exec.fifo). */
  onWaitReadable?: (fds: number[]) => void;
  /** waitPidAsync's answer for a pid; default: exited 0. */
  exits = new Map<number, WaitResult>();

  private record(name: keyof NativeCore, args: unknown[]): void {
    this.calls.push({ name, args });
  }

  /** The names called, in order. */
  names(): string[] {
    return this.calls.map((c) => c.name);
  }

  private notFaked(name: keyof NativeCore, args: unknown[]): never {
    this.record(name, args);
    throw new Error(`RecordingCore: ${name} is not scripted in this test`);
  }

  flock(fd: number, exclusive: boolean, block: boolean): boolean {
    this.record('flock', [fd, exclusive, block]);
    return this.flockResult(fd, exclusive, block);
  }
  mkfifo(path: string, mode: number): void {
    this.record('mkfifo', [path, mode]);
    const r = spawnSync('mkfifo', ['-m', mode.toString(8), path]);
    if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
  }
  /** No pidfd: the runtime then relies on /proc and the fifo alone. */
  pidfdOpen(pid: number): number {
    this.record('pidfdOpen', [pid]);
    return -1;
  }
  waitReadable(fds: number[], timeoutMs: number): boolean[] {
    this.record('waitReadable', [fds, timeoutMs]);
    this.onWaitReadable?.(fds);
    return fds.map(() => true);
  }
  waitPid(pid: number, block: boolean): WaitResult {
    this.record('waitPid', [pid, block]);
    return this.exits.get(pid) ?? { exited: true, code: 0, signal: 0 };
  }
  async waitPidAsync(pid: number): Promise<WaitResult> {
    this.record('waitPidAsync', [pid]);
    return this.exits.get(pid) ?? { exited: true, code: 0, signal: 0 };
  }

  spawnInit(...args: unknown[]): never { return this.notFaked('spawnInit', args); }
  channelSend(...args: unknown[]): never { return this.notFaked('channelSend', args); }
  channelRecv(...args: unknown[]): never { return this.notFaked('channelRecv', args); }
  connectUnix(...args: unknown[]): never { return this.notFaked('connectUnix', args); }
  socketPair(...args: unknown[]): never { return this.notFaked('socketPair', args); }
  recvFd(...args: unknown[]): never { return this.notFaked('recvFd', args); }
  recvPacket(...args: unknown[]): never { return this.notFaked('recvPacket', args); }
  setWinsize(...args: unknown[]): never { return this.notFaked('setWinsize', args); }
  unmountById(...args: unknown[]): never { return this.notFaked('unmountById', args); }
  compileSeccomp(...args: unknown[]): never { return this.notFaked('compileSeccomp', args); }
  seccompSupport(...args: unknown[]): never { return this.notFaked('seccompSupport', args); }
  seccompKnownArchs(...args: unknown[]): never { return this.notFaked('seccompKnownArchs', args); }
  sendFdToUnixSocket(...args: unknown[]): never { return this.notFaked('sendFdToUnixSocket', args); }
  attachDeviceProgram(...args: unknown[]): never { return this.notFaked('attachDeviceProgram', args); }
  cgroupEventfd(...args: unknown[]): never { return this.notFaked('cgroupEventfd', args); }
  notifyBind(...args: unknown[]): never { return this.notFaked('notifyBind', args); }
  notifyRecvReady(...args: unknown[]): never { return this.notFaked('notifyRecvReady', args); }
  notifyConnect(...args: unknown[]): never { return this.notFaked('notifyConnect', args); }
  notifyReady(...args: unknown[]): never { return this.notFaked('notifyReady', args); }
}
