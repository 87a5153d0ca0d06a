// The C++ addon, typed. Every kernel-facing call of the runtime goes through
// here, which makes this interface the seam unit tests can fake.
import { existsSync } from 'node:fs';
import { packageRoot } from './package-root.js';
import path from 'node:path';

export interface WaitResult {
  exited: boolean;
  code: number;
  signal: number;
}

export interface NativeCore {
  /**
   * Execs tsrun-init from a sealed binary (a private read-only overlayfs, else a sealed memfd); its socket lands at fd 3 + preserveFds.
   * stdio: the fds it gets as 0, 1 and 2 (-1, or none given: ours).
   */
  spawnInit(initPath: string, preserveFds: number, stdio?: [number, number, number]): { pid: number; fd: number };
  /** passFd, when given, travels with the message (SCM_RIGHTS); init keeps it as g_received_fd. */
  channelSend(fd: number, type: number, payload: Buffer, passFd?: number): void;
  /** Blocks for one message; null when init has closed its end (exited). fd: one passed with SCM_RIGHTS, the caller's to close. */
  channelRecv(fd: number): { type: number; payload: Buffer; fd?: number } | null;
  waitPid(pid: number, block: boolean): WaitResult;
  waitPidAsync(pid: number): Promise<WaitResult>;
  flock(fd: number, exclusive: boolean, block: boolean): boolean;
  /** A connected unix stream socket to path (close-on-exec); the error says "dial unix <path>" as runc's does. */
  connectUnix(path: string): number;
  /** seqpacket: SOCK_SEQPACKET (one message per read), else SOCK_STREAM. */
  socketPair(seqpacket?: boolean): [number, number];
  /** Blocks for one message on sock; returns the fd it carried. */
  recvFd(sock: number): number;
  /** One SOCK_SEQPACKET packet (up to maxLength bytes) and the fd that came with it; empty data, no fd: closed. */
  recvPacket(sock: number, maxLength: number): { data: Buffer; fd?: number };
  setWinsize(fd: number, rows: number, cols: number): void;
  mkfifo(path: string, mode: number): void;
  /** A pidfd (close-on-exec) of pid, -1 if there is no such process; the caller closes it. */
  pidfdOpen(pid: number): number;
  /** Sleeps in poll(2) until one of fds is readable or hung up, or timeoutMs (-1: none); which are. Blocks the thread. */
  waitReadable(fds: number[], timeoutMs: number): boolean[];
  /** waitReadable on a pool thread: the event loop (signal handlers) runs while it sleeps. */
  waitReadableAsync(fds: number[], timeoutMs: number): Promise<boolean[]>;
  /** host-mounts.ts: detach mount mntId after verifying it (unique id "0": unknown). */
  unmountById(mntId: number, uniqueId: string): 'unmounted' | 'gone';
  /** Builds a filter with libseccomp and exports it as BPF; throws SeccompCompileError. */
  compileSeccomp(spec: SeccompCompileSpec): { bpf: Buffer; unknown: string[] };
  /** The SECCOMP_FILTER_FLAG_* bits and SECCOMP_RET_* actions this kernel takes, and libseccomp's version. */
  seccompSupport(): { flags: number; actions: number[]; libseccomp: string };
  /** Those of names (libseccomp's: "x86_64", "x32", "riscv64") that this libseccomp resolves (seccomp_arch_resolve_name), in order. */
  seccompKnownArchs(names: string[]): string[];
  /** Connects to a SOCK_STREAM unix socket, sends payload with fd (SCM_RIGHTS), closes. */
  sendFdToUnixSocket(path: string, payload: Buffer, fd: number): void;
  /** cgroup v2 devices: loads a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it (BPF_F_ALLOW_MULTI) to the cgroup. */
  attachDeviceProgram(cgroupDir: string, program: Buffer): void;
  /** cgroup v1: a non-blocking eventfd registered in cgroup.event_control for file (memory.oom_control); the caller polls and closes it. */
  cgroupEventfd(cgroupDir: string, file: string, args: string): number;
  /**
   * Starts a detached thread writing "0" to procsPath (a cgroup.procs of this process's own cgroup) now and every
   * intervalMs, until cgroupWarmStop or capMs: the cgroup-attach warm-up (runtime/cgroup-warm.ts). False: nothing started.
   * handOverFd: the launcher's warm-up pipe, whose warm-up runs on: no thread starts; the fd is kept (close-on-exec) and closed by cgroupWarmStop.
   */
  cgroupWarmStart(procsPath: string, intervalMs: number, capMs: number, handOverFd?: number): boolean;
  /** Ends the warm-up thread, if one runs (it exits within one interval). */
  cgroupWarmStop(): void;
  /** NOTIFY_SOCKET: binds a unix datagram socket at path (close-on-exec, chmod 0777); returns its fd. */
  notifyBind(path: string): number;
  /** The first line of the next datagram that begins with "READY=", or null after timeoutMs; other datagrams are dropped. */
  notifyRecvReady(fd: number, timeoutMs: number): Promise<string | null>;
  /** A unix datagram socket connected to host ("@name": abstract); the error says "dial unixgram <host>" as runc's does. */
  notifyConnect(host: string): number;
  /** Sends ready+"\n", "MAINPID=<mainPid>\n" and BARRIER=1 (with a pipe) on sock; false if the barrier was not acknowledged in time. */
  notifyReady(sock: number, ready: string, mainPid: number, barrierTimeoutMs: number): Promise<boolean>;
}

/** What compileSeccomp builds: names and numbers only, already checked by seccomp.ts. */
export interface SeccompCompileSpec {
  /** SCMP_ACT_* value, errno included. */
  defaultAction: number;
  /** libseccomp's architecture names: "x86_64", "x32". */
  architectures: string[];
  /** One seccomp_rule_add per name; args are ANDed. source: index in linux.seccomp.syscalls. */
  rules: { source: number; action: number; names: string[]; args: { index: number; op: number; value: bigint; valueTwo: bigint }[] }[];
  /** Prepend the -ENOSYS prologue, computed from these names. */
  enosys: boolean;
  enosysNames: string[];
  /** libseccomp's binary-tree layout, for long profiles. */
  optimize: boolean;
}

/** compileSeccomp's error: rule and arch are indexes into the config's syscalls and architectures. */
export interface SeccompCompileError extends Error {
  errno: number;
  rule?: number;
  arch?: number;
}

/** An Error from the addon: errno and code as node's own system errors carry them. */
export interface NativeError extends Error {
  errno: number;
  code: string;
  syscall: string;
}

// TSRUN_NATIVE_DIR points at another build of the addon and init (CI checks the node-gyp build with it).
const buildDir = () => process.env.TSRUN_NATIVE_DIR ?? path.join(packageRoot, 'build', 'Release');

export const initBinaryPath = () => process.env.TSRUN_INIT_BINARY ?? path.join(buildDir(), 'tsrun-init');

let loaded: NativeCore | undefined;

/**
 * The addon, loaded on first use: what a Runtime takes when it is given no
 * other core (tests give a recording fake, test/unit/runtime/fake-core.ts).
 */
export const nativeCore: NativeCore = new Proxy({} as NativeCore, {
  get: (_target, name) => (native() as unknown as Record<string | symbol, unknown>)[name],
});

export function native(): NativeCore {
  if (!loaded) {
    const addon = path.join(buildDir(), 'tsrun_native.node');
    // process.dlopen, not require: the addon needs none of the module loader's resolution (~1 ms of each start that uses it).
    const mod = { exports: {} };
    try {
      process.dlopen(mod, addon);
    } catch (e) {
      // Looked for only on failure: a stat less at each start that loads the addon.
      if (!existsSync(addon)) {
        throw new Error(`the native addon is not built (${addon} is missing): run \`npm install\` or \`npm run build:native\``);
      }
      throw e;
    }
    loaded = mod.exports as NativeCore;
  }
  return loaded;
}
