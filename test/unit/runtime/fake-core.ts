// A recording fake of the native core (src/core/native.ts NativeCore), as
// youki tests libcontainer through its Syscall trait's test implementation:
// a Runtime given it makes no addon call, and the test reads back what the
// runtime asked the kernel for. What a test does not script throws, by name.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { NativeCore, WaitResult } from '../../../src/core/native.js';
import { MessageType } from '../../../src/runtime/init-protocol.js';
import { decode, encode, type WireValue } from '../../../src/runtime/wire.js';

type Plan = { [key: string]: WireValue | undefined };

/**
 * tsrun-init's side of the protocol, minus the kernel: it takes the plan,
 * reports a child pid (a process the test made) and CREATED, and, once
 * create has acked, writes "0" on exec.fifo as init does when released;
 * its end closes at the first poll (init's exec). For exec: the child's pid,
 * then EOF (the process has exec'd). It sends no CGROUP_READY: no cgroup is made.
 */
export class FakeInit {
  readonly plans: Plan[] = [];
  private queue: { type: number; payload: Buffer }[] = [];
  private createdAcked = false;
  private fifoEnd?: number;

  constructor(
    /** The container init's pid for create; the process's for exec. */
    readonly childPid: () => number,
  ) {}

  send(type: number, payload: Buffer): void {
    if (type === MessageType.PLAN) {
      const plan = decode(payload) as Plan;
      this.plans.push(plan);
      const pid = encode({ pid: this.childPid() });
      this.queue = plan.mode === 'create'
        ? [{ type: MessageType.CHILD_PID, payload: pid }, { type: MessageType.CREATED, payload: encode({}) }]
        : [{ type: MessageType.CHILD_PID, payload: pid }];
      this.createdAcked = false;
    } else if (type === MessageType.ACK && this.plans.at(-1)?.mode === 'create' && this.queue.length === 0 && !this.createdAcked) {
      this.createdAcked = true;
      this.fifoEnd = fs.openSync(String(this.plans.at(-1)!.fifoPath), fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      fs.writeSync(this.fifoEnd, '0');
    }
  }

  recv(): { type: number; payload: Buffer } | null {
    return this.queue.shift() ?? null;
  }

  /** init's exec: its end of exec.fifo closes. */
  execd(): void {
    if (this.fifoEnd !== undefined) fs.closeSync(this.fifoEnd);
    this.fifoEnd = undefined;
  }
}

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
  /** Plays tsrun-init (spawnInit, channelSend, channelRecv) when a test sets it. */
  init?: FakeInit;
  /**
   * Plays NOTIFY_SOCKET's two ends when a test sets it: the datagrams the
   * container sends (notifyRecvReady's answers, in order; then none), and
   * whether the host acknowledges the barrier. Sockets are /dev/null fds.
   */
  notify?: { lines: string[]; barrierAcked: boolean };
  /** Runs at spawnInit, while the fds it is given are open: a test looks at them here. */
  onSpawnInit?: (preserveFds: number, stdio?: [number, number, number]) => void;
  /** The pid spawnInit reports for stage 0 (no such process is made). */
  static readonly STAGE0 = 0x7ffffff0;

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
    this.init?.execd();
    return fds.map(() => true);
  }
  waitReadableAsync(fds: number[], timeoutMs: number): Promise<boolean[]> {
    return Promise.resolve(this.waitReadable(fds, timeoutMs));
  }
  waitPid(pid: number, block: boolean): WaitResult {
    this.record('waitPid', [pid, block]);
    return this.exits.get(pid) ?? { exited: true, code: 0, signal: 0 };
  }
  async waitPidAsync(pid: number): Promise<WaitResult> {
    this.record('waitPidAsync', [pid]);
    return this.exits.get(pid) ?? { exited: true, code: 0, signal: 0 };
  }

  spawnInit(initPath: string, preserveFds: number, stdio?: [number, number, number]): { pid: number; fd: number } {
    if (!this.init) return this.notFaked('spawnInit', [initPath, preserveFds, stdio]);
    this.record('spawnInit', [initPath, preserveFds, stdio]);
    this.onSpawnInit?.(preserveFds, stdio);
    // The channel: an fd the session may close; the messages go through this.init.
    return { pid: RecordingCore.STAGE0, fd: fs.openSync('/dev/null', 'r') };
  }
  channelSend(fd: number, type: number, payload: Buffer, passFd?: number): void {
    if (!this.init) return this.notFaked('channelSend', [fd, type, payload, passFd]);
    this.record('channelSend', [type]);
    this.init.send(type, payload);
  }
  channelRecv(fd: number): { type: number; payload: Buffer } | null {
    if (!this.init) return this.notFaked('channelRecv', [fd]);
    const msg = this.init.recv();
    this.record('channelRecv', [msg?.type ?? null]);
    return msg;
  }
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
  /** Starts no thread, but says it did: a test then sees the runtime end it (cgroupWarmStop). */
  cgroupWarmStart(procsPath: string, intervalMs: number, capMs: number, handOverFd?: number): boolean {
    this.record('cgroupWarmStart', [procsPath, intervalMs, capMs, handOverFd]);
    return true;
  }
  cgroupWarmStop(): void {
    this.record('cgroupWarmStop', []);
  }
  notifyBind(path: string): number {
    if (!this.notify) return this.notFaked('notifyBind', [path]);
    this.record('notifyBind', [path]);
    return fs.openSync('/dev/null', 'r');
  }
  notifyConnect(host: string): number {
    if (!this.notify) return this.notFaked('notifyConnect', [host]);
    this.record('notifyConnect', [host]);
    return fs.openSync('/dev/null', 'r');
  }
  async notifyRecvReady(fd: number, timeoutMs: number): Promise<string | null> {
    if (!this.notify) return this.notFaked('notifyRecvReady', [fd, timeoutMs]);
    this.record('notifyRecvReady', [timeoutMs]);
    return this.notify.lines.shift() ?? null;
  }
  async notifyReady(sock: number, ready: string, mainPid: number, barrierTimeoutMs: number): Promise<boolean> {
    if (!this.notify) return this.notFaked('notifyReady', [sock, ready, mainPid, barrierTimeoutMs]);
    this.record('notifyReady', [ready, mainPid, barrierTimeoutMs]);
    return this.notify.barrierAcked;
  }
}
