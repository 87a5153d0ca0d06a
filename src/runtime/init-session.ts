// The parent's half of the init protocol: start tsrun-init, send the plan,
// answer each sync point in order, and on any failure kill what was started.
import { closeSync } from 'node:fs';
import createDebug from 'debug';
import { InitError, TsrunError } from './errors.js';
import { MessageType } from './init-protocol.js';
import { initBinaryPath, native, type NativeCore } from './native.js';
import { decode, encode, type WireValue } from './wire.js';
import type { CreatePlan } from './plan.js';

const debug = createDebug('tsrun:init');

/** What the parent does at each sync point. Each returns when its step is done. */
export interface SyncHandlers {
  /** The container's init exists (host pid); stage 0 has exited. */
  onChildPid?(pid: number): void;
  writeIdMaps?(pid: number): void;
  placeInCgroup?(pid: number): void;
  runCreateHooks?(pid: number): void;
  /** Init is about to wait on exec.fifo: record the state. */
  onCreated(pid: number): void;
  onWarning?(message: string): void;
  /** A seccomp notify listener fd (closed after this returns): hand it to listenerPath. */
  onSeccompListener?(fd: number, pid: number): void;
}

type Payload = { [key: string]: WireValue | undefined };

/**
 * Runs the create protocol to the point where init waits on exec.fifo and
 * returns the container init's pid. If anything fails, every process it
 * started is killed and reaped before the error is thrown.
 */
export function runCreateProtocol(plan: CreatePlan, handlers: SyncHandlers, core: NativeCore = native()): number {
  const { pid: stage0, fd } = core.spawnInit(initBinaryPath, plan.process.preserveFds);
  debug('spawned tsrun-init stage 0 as %d', stage0);
  let initPid = 0;
  let stage0Reaped = false;
  const ack = () => core.channelSend(fd, MessageType.ACK, encode({}));
  try {
    core.channelSend(fd, MessageType.PLAN, encode(plan as unknown as WireValue));
    for (;;) {
      const msg = core.channelRecv(fd);
      if (!msg) throw exitedEarly(core, initPid || stage0);
      // Only a seccomp listener comes with an fd; never leak a stray one.
      if (msg.fd !== undefined && msg.type !== MessageType.SECCOMP_LISTENER) closeSync(msg.fd);
      const body = decode(msg.payload) as Payload;
      debug('init says %d %o', msg.type, body);
      switch (msg.type) {
        case MessageType.USERNS_READY:
          handlers.writeIdMaps?.(Number(body.pid));
          ack();
          break;
        case MessageType.CGROUP_READY:
          handlers.placeInCgroup?.(Number(body.pid));
          ack();
          break;
        case MessageType.CHILD_PID:
          initPid = Number(body.pid);
          // Stage 0 exits right after this message; reap it so no zombie stays.
          core.waitPid(stage0, true);
          stage0Reaped = true;
          handlers.onChildPid?.(initPid);
          break;
        case MessageType.HOOKS_READY:
          handlers.runCreateHooks?.(initPid);
          ack();
          break;
        case MessageType.CREATED:
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

function exitedEarly(core: NativeCore, pid: number): TsrunError {
  let how = '';
  try {
    const w = core.waitPid(pid, true);
    how = w.signal ? ` (killed by signal ${w.signal})` : ` (exit code ${w.code})`;
  } catch {
    // not our child: nothing more to say
  }
  return new TsrunError(`tsrun-init exited before the container was created${how}`);
}
