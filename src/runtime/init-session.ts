// The parent's half of the init protocol: start tsrun-init, send the plan,
// answer each sync point in order, and on any failure kill what was started.
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import createDebug from 'debug';
import { InitError, TsrunError } from '../core/errors.js';
import { HOOK_OUTCOME_BYTES, initHookFailure } from './hooks.js';
import { MessageType } from './init-protocol.js';
import { initBinaryPath, nativeCore, type NativeCore } from '../core/native.js';
import { decode, encode, type WireValue } from './wire.js';
import type { CreatePlan } from './plan.js';
import type { ExecPlan } from './exec-plan.js';

const debug = createDebug('tsrun:init');

/** What the parent does at each sync point. Each returns when its step is done. */
export interface SyncHandlers {
  /**
   * The container's init (create) or the new process (exec) exists (host
   * pid); stage 0 has exited. An exec's process waits until this returns.
   */
  onChildPid?(pid: number): void;
  writeIdMaps?(pid: number): void;
  /** Stage 0 (pid) goes into the cgroup; not into the unified hierarchy when unifiedByClone (its child is cloned there). */
  placeInCgroup?(pid: number, unifiedByClone: boolean): void;
  /**
   * Before pivot_root: runs prestart and createRuntime (pid: the host's view)
   * and returns the ACK's payload, the state JSON for the container's own hooks
   * (containerPid: init's pid as the container sees it). See native/protocol.h.
   */
  runCreateHooks?(pid: number, containerPid: number): Payload;
  /** Init is about to wait on exec.fifo: record the state. */
  onCreated(pid: number): void;
  onWarning?(message: string): void;
  /** A seccomp notify listener fd (closed after this returns): hand it to listenerPath. */
  onSeccompListener?(fd: number, pid: number): void;
  /** The console socket for process.terminal: sent to init with the plan (SCM_RIGHTS). */
  consoleFd?: number;
  /** The connected --pidfd-socket: sent to init right after the plan (plan.process.pidfdSocket says it comes). */
  pidfdSocketFd?: number;
  /** The fds tsrun-init (and so the process) gets as 0, 1, 2 (a library caller's stdio; -1: ours). */
  stdio?: [number, number, number];
}

/** exec has no create steps: no maps to write, no hooks, no exec.fifo. */
export type ExecHandlers = Pick<SyncHandlers, 'onChildPid' | 'onWarning' | 'onSeccompListener' | 'consoleFd' | 'pidfdSocketFd' | 'placeInCgroup' | 'stdio'>;

export type Payload = { [key: string]: WireValue | undefined };

/**
 * Runs the create protocol to the point where init waits on exec.fifo and
 * returns the container init's pid. If anything fails, every process it
 * started is killed and reaped before the error is thrown.
 */
export function runCreateProtocol(plan: CreatePlan, handlers: SyncHandlers, core: NativeCore = nativeCore): number {
  return runSession(plan, handlers, core);
}

/**
 * Runs the exec protocol until the new process has exec'd and returns its
 * host pid. Init's socket is close-on-exec, so EOF after CHILD_PID means
 * success; failures come as ERROR, and kill and reap what was started.
 */
export function runExecProtocol(plan: ExecPlan, handlers: ExecHandlers, core: NativeCore = nativeCore): number {
  return runSession(plan, handlers, core);
}

function runSession(plan: CreatePlan | ExecPlan, handlers: Partial<SyncHandlers>, core: NativeCore): number {
  const exec = plan.mode === 'exec';
  const { pid: stage0, fd } = core.spawnInit(initBinaryPath(), plan.process.preserveFds, handlers.stdio);
  debug('spawned tsrun-init stage 0 as %d', stage0);
  let initPid = 0;
  let stage0Reaped = false;
  const ack = (payload: Payload = {}) => core.channelSend(fd, MessageType.ACK, encode(payload));
  try {
    core.channelSend(fd, MessageType.PLAN, encode(plan), handlers.consoleFd);
    if (plan.process.pidfdSocket) {
      if (handlers.pidfdSocketFd === undefined) throw new TsrunError('the plan asks for a --pidfd-socket, but none was opened');
      core.channelSend(fd, MessageType.PIDFD_SOCKET, encode({}), handlers.pidfdSocketFd);
    }
    for (;;) {
      const msg = core.channelRecv(fd);
      if (!msg) {
        if (exec && initPid) return initPid;
        throw exitedEarly(core, initPid || stage0, exec ? 'the process was started' : 'the container was created', plan);
      }
      // Only a seccomp listener comes with an fd; never leak a stray one.
      if (msg.fd !== undefined && msg.type !== MessageType.SECCOMP_LISTENER) closeSync(msg.fd);
      const body = decode(msg.payload, msg.type === MessageType.HOOK_FAILED ? HOOK_OUTCOME_BYTES : undefined) as Payload;
      debug('init says %d %o', msg.type, body);
      switch (msg.type) {
        case MessageType.USERNS_READY:
          handlers.writeIdMaps?.(Number(body.pid));
          ack();
          break;
        case MessageType.CGROUP_READY:
          handlers.placeInCgroup?.(Number(body.pid), Number(body.unifiedByClone ?? 0) !== 0);
          ack();
          break;
        case MessageType.CHILD_PID:
          initPid = Number(body.pid);
          // Stage 0 exits right after this message; reap it so no zombie stays.
          core.waitPid(stage0, true);
          stage0Reaped = true;
          handlers.onChildPid?.(initPid);
          if (exec) ack();
          break;
        case MessageType.HOOKS_READY:
          ack(handlers.runCreateHooks?.(initPid, Number(body.pid)));
          break;
        case MessageType.CREATED:
          if (!handlers.onCreated) throw new TsrunError('tsrun-init reported CREATED, which only create expects');
          handlers.onCreated(initPid);
          ack();
          return initPid;
        case MessageType.SECCOMP_LISTENER:
          if (msg.fd === undefined) throw new TsrunError('tsrun-init sent a seccomp listener message without the fd');
          try {
            handlers.onSeccompListener?.(msg.fd, initPid);
          } finally {
            closeSync(msg.fd);
          }
          ack();
          break;
        case MessageType.WARNING:
          handlers.onWarning?.(String(body.message));
          break;
        case MessageType.HOOK_FAILED:
          throw initHookFailure(body);
        case MessageType.ERROR:
          throw new InitError(String(body.step), Number(body.errno), String(body.path ?? ''), String(body.message));
        default:
          throw new TsrunError(`tsrun-init sent an unknown message type ${msg.type}`);
      }
    }
  } catch (e) {
    for (const pid of [initPid, stage0Reaped ? 0 : stage0]) {
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        try {
          core.waitPid(pid, true);
        } catch {
          // not our child any more
        }
      }
    }
    throw e;
  } finally {
    closeSync(fd);
  }
}

function exitedEarly(core: NativeCore, pid: number, before: string, plan: CreatePlan | ExecPlan): TsrunError {
  let how = '';
  let signal = 0;
  try {
    const w = core.waitPid(pid, true);
    signal = w.signal ?? 0;
    how = w.signal ? ` (killed by signal ${w.signal})` : ` (exit code ${w.code})`;
  } catch {
    // not our child: nothing more to say
  }
  // Without no_new_privs the filter is loaded while init still sets up (it
  // needs CAP_SYS_ADMIN then). A filter that kills a syscall init still uses
  // kills it with SIGSYS; one that refuses them all (even exit) leaves it to
  // crash past its last exit, with SIGSEGV.
  // Read here, not when the module loads: node:os loads at its first use (scripts/bundle.js).
  const { SIGSYS, SIGSEGV } = constants.signals;
  if ((signal === SIGSYS || signal === SIGSEGV) && plan.process.seccomp && !plan.process.noNewPrivileges) {
    return new InitError('seccomp', 0, '/linux/seccomp',
      `tsrun-init died (signal ${signal}) before ${before}: the filter kills or refuses a syscall that setting up the process still needs ` +
        '(without process.noNewPrivileges it is loaded before the last steps); set noNewPrivileges to true, so that it is loaded last, ' +
        'or allow the syscalls tsrun-init makes after it (capset, prctl, setresuid, setresgid, setgroups, close_range, exit_group, execve, ...)');
  }
  return new TsrunError(`tsrun-init exited before ${before}${how}`);
}
