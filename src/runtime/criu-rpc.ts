// Talking to CRIU through its RPC interface, as runc does: `criu swrk 3`
// with one end of a SOCK_SEQPACKET pair as its fd 3, one protobuf message
// (proto/criu/rpc.proto) per packet. CRIU opens the image and work
// directories through /proc/<our pid>/fd/<n> (the socket's peer), so their
// fds are ours; inherit_fd numbers are fds of the criu process itself.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import createDebug from 'debug';
import { packageRoot } from '../core/package-root.js';
import { TsrunError } from '../core/errors.js';
import type { NativeCore } from '../core/native.js';

const debug = createDebug('tsrun:criu');

/** criu_opts, with rpc.proto's field names. */
export type CriuOpts = Record<string, unknown> & { images_dir_fd: number };

export type CriuRequestType = 'DUMP' | 'RESTORE' | 'PRE_DUMP' | 'FEATURE_CHECK';

/** criu_features: what a FEATURE_CHECK asks about and CRIU answers. */
export interface CriuFeatures {
  mem_track?: boolean;
  lazy_pages?: boolean;
}

export interface CriuRunOptions {
  /** The kernel calls of the RPC (the runtime's core). */
  core: Pick<NativeCore, 'socketPair' | 'recvPacket' | 'waitReadableAsync' | 'pidfdOpen'>;
  /** --criu, or `criu` from PATH. */
  criuPath?: string;
  type: CriuRequestType;
  opts?: CriuOpts;
  features?: CriuFeatures;
  /** The log CRIU writes in the work directory, quoted when it fails (none for FEATURE_CHECK). */
  logPath?: string;
  /** fds criu gets as its 0, 1, 2 (restore: the container's stdio); default: ignored. */
  stdio?: [number | 'ignore', number | 'ignore', number | 'ignore'];
  /** More fds criu gets, as its 4, 5, ... (3 is the RPC socket): for inherit_fd. */
  extraFds?: number[];
  /** criu is running and waiting for the request (restore: put it in the container's cgroup). */
  onStarted?(criuPid: number): void;
  /**
   * A notification (notify_scripts): runs before CRIU goes on; throwing
   * fails the request. fd: one CRIU sent along (orphan-pts-master's pty
   * master), which the callback owns; any other is closed.
   */
  onNotify?(script: string, pid: number, fd: number | undefined): void;
  /**
   * Signals that end the request: criu is killed at once and runCriu throws
   * CriuInterruptedError once it has exited (the caller undoes what it made).
   * Others keep their handlers, or end tsrun as they would.
   */
  interruptOn?: NodeJS.Signals[];
}

export interface CriuResponse {
  type: string;
  success: boolean;
  restore?: { pid: number };
  dump?: { restored?: boolean };
  notify?: { script?: string; pid?: number };
  cr_errno?: number;
  cr_errmsg?: string;
  features?: CriuFeatures;
}

/** CRIU refused or failed: its own words, and the log that has the rest. */
export class CriuError extends TsrunError {}

/** tsrun got one of interruptOn while CRIU worked: CRIU was killed; the exit code is the signal's, 128+N. */
export class CriuInterruptedError extends CriuError {
  constructor(
    readonly signal: NodeJS.Signals,
    message: string,
  ) {
    super(message);
    this.exitCode = 128 + osConstants.signals[signal];
  }
}

interface Codec {
  encodeReq(req: Record<string, unknown>): Uint8Array;
  decodeResp(buf: Uint8Array): CriuResponse;
}

let codec: Promise<Codec> | undefined;

/** protobufjs and the proto are loaded only by checkpoint and restore, not by every tsrun start. */
function loadCodec(): Promise<Codec> {
  codec ??= import('protobufjs').then((mod) => {
    const protobuf = mod.default ?? mod;
    const text = fs.readFileSync(path.join(packageRoot, 'proto', 'criu', 'rpc.proto'), 'utf8');
    const root = protobuf.parse(text, { keepCase: true }).root;
    const Req = root.lookupType('criu_req');
    const Resp = root.lookupType('criu_resp');
    return {
      encodeReq(req) {
        const msg = Req.fromObject(req);
        const bad = Req.verify(msg);
        if (bad) throw new Error(`tsrun built a bad criu request: ${bad}`);
        return Req.encode(msg).finish();
      },
      decodeResp(buf) {
        return Resp.toObject(Resp.decode(buf), { enums: String, defaults: false }) as CriuResponse;
      },
    };
  });
  return codec;
}

const MAX_MESSAGE = 1 << 20;

interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
}

/**
 * Runs one request in a fresh `criu swrk`, answering its notifications, and
 * returns CRIU's successful answer; throws CriuError otherwise. criu has
 * exited when this returns or throws.
 */
export async function runCriu(o: CriuRunOptions): Promise<CriuResponse> {
  const { encodeReq, decodeResp } = await loadCodec();
  const criuPath = o.criuPath || 'criu';
  const [ours, theirs] = o.core.socketPair(true);
  let child: ChildProcess;
  try {
    // child_process at first use: only checkpoint and restore run CRIU (README, Start-up).
    child = process.getBuiltinModule('node:child_process').spawn(criuPath, ['swrk', '3'], { stdio: [...(o.stdio ?? ['ignore', 'ignore', 'ignore']), theirs, ...(o.extraFds ?? [])] });
  } catch (e) {
    fs.closeSync(ours);
    throw e;
  } finally {
    fs.closeSync(theirs);
  }
  const exited = new Promise<Ending>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const early = await Promise.race([exited, new Promise<undefined>((resolve) => child.once('spawn', () => resolve(undefined)))]);
  if (early) {
    fs.closeSync(ours);
    const why = early.error?.code === 'ENOENT'
      ? 'not found (install criu, or run scripts/setup-criu; --criu names another)'
      : early.error?.message ?? `it exited at once (${early.signal ?? early.code})`;
    throw new CriuError(`cannot run ${criuPath}: ${why}`);
  }
  const pid = child.pid!;
  debug('criu swrk pid %d, %s %o', pid, o.type, o.opts);
  let answer: CriuResponse | undefined;
  let failure: unknown;
  let interrupted: NodeJS.Signals | undefined;
  const interrupt = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = sig;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  for (const sig of o.interruptOn ?? []) process.on(sig, interrupt);
  // criu's end of the socket lives on in what it forked (the restored tasks, its cgroupd): its
  // exit, not the socket's EOF, tells that it is gone. -1: it has exited already.
  const criuFd = o.core.pidfdOpen(pid);
  try {
    o.onStarted?.(pid);
    send(ours, encodeReq({ type: o.type, opts: o.opts, features: o.features }));
    for (;;) {
      // Asleep off the main thread, so that a signal's handler runs while CRIU works.
      const [readable] = await o.core.waitReadableAsync(criuFd < 0 ? [ours] : [ours, criuFd], -1);
      if (interrupted) break;
      if (!readable) break; // criu exited without a word
      const packet = o.core.recvPacket(ours, MAX_MESSAGE);
      if (packet.data.length === 0 && packet.fd === undefined) break;
      const resp = decodeResp(packet.data);
      debug('criu says %o', resp);
      if (resp.type !== 'NOTIFY') {
        if (packet.fd !== undefined) fs.closeSync(packet.fd);
        answer = resp;
        break;
      }
      const script = resp.notify?.script ?? '';
      const npid = resp.notify?.pid ?? 0;
      let ok = true;
      try {
        if (o.onNotify) o.onNotify(script, npid, packet.fd);
        else if (packet.fd !== undefined) fs.closeSync(packet.fd);
      } catch (e) {
        ok = false;
        failure = e;
      }
      send(ours, encodeReq({ type: 'NOTIFY', notify_success: ok }));
      if (!ok) break;
    }
  } catch (e) {
    // criu gone before reading the request (EPIPE): its exit status and log say why, below.
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') failure ??= e;
  } finally {
    fs.closeSync(ours);
    if (criuFd >= 0) fs.closeSync(criuFd);
  }
  if (failure !== undefined) {
    // CRIU cannot go on without us: it must not outlive this command.
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const end = await exited;
  for (const sig of o.interruptOn ?? []) process.off(sig, interrupt);
  debug('criu exited %o', end);
  if (interrupted) {
    throw new CriuInterruptedError(interrupted, `${o.type === 'RESTORE' ? 'restore' : 'checkpoint'} interrupted by ${interrupted}: criu (pid ${pid}) was killed${o.logPath ? `\nlog file: ${o.logPath}` : ''}`);
  }
  if (failure !== undefined) throw failure;
  if (!answer) {
    const how = end.signal ? `was killed by ${end.signal}` : `exited with status ${end.code}`;
    throw new CriuError(`criu ${how} before answering the ${o.type} request${logExcerpt(o.logPath)}`);
  }
  if (!answer.success && o.type !== 'FEATURE_CHECK') {
    const errno = answer.cr_errno ? `, errno ${answer.cr_errno}` : '';
    // cr_errmsg is CRIU's first error, often a harmless one; the log's last ones say what failed.
    const excerpt = logExcerpt(o.logPath);
    const msg = answer.cr_errmsg && !excerpt.includes('\n  ') ? `: ${answer.cr_errmsg}` : '';
    throw new CriuError(`criu failed: type ${answer.type}${errno}${msg}${excerpt}`);
  }
  return answer;
}

function send(fd: number, msg: Uint8Array): void {
  const n = fs.writeSync(fd, msg);
  if (n !== msg.length) throw new CriuError(`a short write to criu (${n} of ${msg.length} bytes)`);
}

/** CRIU's own error lines from its log (the last few), and where the log is. */
export function logExcerpt(logPath: string | undefined): string {
  if (!logPath) return '';
  let text: string;
  try {
    text = fs.readFileSync(logPath, 'utf8');
  } catch {
    return `\nlog file: ${logPath} (not written)`;
  }
  // CRIU cannot raise its own RLIMIT_NOFILE without CAP_SYS_RESOURCE, says so, and goes on: not the cause.
  const errors = text.split('\n').filter((l) => /\bError\b|\berror\b/.test(l) && !l.includes('RLIMIT_NOFILE')).slice(-3);
  const lines = errors.length ? errors : text.trimEnd().split('\n').slice(-3);
  return `\nlog file: ${logPath}\n${lines.map((l) => `  ${l.trim()}`).join('\n')}`;
}

/**
 * Asks CRIU which of wanted it can do on this kernel; throws naming what
 * it cannot, and why it was needed.
 */
export async function requireCriuFeatures(
  core: CriuRunOptions['core'],
  criuPath: string | undefined,
  wanted: Array<[keyof CriuFeatures, string]>,
): Promise<void> {
  if (!wanted.length) return;
  const features = Object.fromEntries(wanted.map(([f]) => [f, true])) as CriuFeatures;
  const answer = await runCriu({ core, criuPath, type: 'FEATURE_CHECK', features });
  const missing = wanted.filter(([f]) => answer.features?.[f] !== true);
  if (missing.length) {
    throw new CriuError(missing.map(([f, why]) => `${why} needs CRIU's ${f === 'mem_track' ? 'memory tracking (soft-dirty pages; `criu check --feature mem_dirty_track`)' : 'lazy pages (userfaultfd; `criu check --feature uffd-noncoop`)'}, which this kernel or criu does not offer`).join('; '));
  }
}
