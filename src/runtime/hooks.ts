// OCI hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle"):
// checking them, the state JSON each one reads on stdin, running the
// runtime-namespace ones (prestart, createRuntime, poststart, poststop) from
// node, and planning the container-namespace ones (createContainer,
// startContainer) that tsrun-init runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getSystemErrorMap } from 'node:util';
import type { Config, Hook, HookName } from '../spec/types.js';
import { ConfigPathError, configWarning, PlanError } from '../core/errors.js';

/** Every hook list, in the order runtime.md's lifecycle calls them. */
export const HOOK_NAMES: readonly HookName[] = [
  'prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop',
];

/** runtime.md "State", as a hook reads it on stdin. */
export interface HookState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  /** Left out once stopped: the spec requires it only while created or running. */
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export type { InitHookPlan, InitHooksPlan } from './plan-schema.js';
import type { InitHookPlan, InitHooksPlan } from './plan-schema.js';


/** A hook failed: which one, and how. The message names its config path. */
export class HookError extends ConfigPathError {
  constructor(configPath: string, reason: string) {
    super(configPath, reason);
  }

  get configPath(): string {
    return this.path;
  }
}

/** The state JSON in runtime.md's (and runc's) key order; no annotations key when there are none. */
export function stateJson(s: HookState): string {
  const out: Record<string, unknown> = { ociVersion: s.ociVersion, id: s.id, status: s.status };
  if (s.pid !== undefined && s.status !== 'stopped') out.pid = s.pid;
  out.bundle = s.bundle;
  if (s.annotations && Object.keys(s.annotations).length) out.annotations = s.annotations;
  return JSON.stringify(out);
}

/**
 * environ with only the last entry of a repeated name, where it stands, as
 * Go's os/exec (and so runc) passes a hook's env. Entries must be NAME=VALUE:
 * node cannot pass anything else, and the spec's environ has no other form.
 */
export function hookEnv(env: string[], configPath: string): string[] {
  const names = env.map((kv, i) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new PlanError(`${configPath}/env/${i}`, `${JSON.stringify(kv)} is not NAME=VALUE`);
    return kv.slice(0, eq);
  });
  return env.filter((_, i) => names.lastIndexOf(names[i]) === i);
}

/** Checks every hook of config (the spec's absolute path, env entries); throws PlanError naming the first bad one. */
export function checkHooks(config: Config): void {
  for (const name of HOOK_NAMES) {
    (config.hooks?.[name] ?? []).forEach((hook, i) => {
      const configPath = `/hooks/${name}/${i}`;
      if (!path.isAbsolute(hook.path)) throw new PlanError(`${configPath}/path`, `hook path ${JSON.stringify(hook.path)} must be absolute`);
      if (hook.env) hookEnv(hook.env, configPath);
    });
  }
}

/** argv as execv takes it: args when given, else just the path (as Go's os/exec does). */
export function hookArgv(hook: Hook): string[] {
  return hook.args?.length ? hook.args : [hook.path];
}

function initHook(hook: Hook, configPath: string, processEnv: string[]): InitHookPlan {
  return {
    path: hook.path,
    args: hookArgv(hook),
    // Without env a container hook gets the process's environment, as with
    // runc: nothing of the host's environment enters the container.
    env: hook.env ? hookEnv(hook.env, configPath) : processEnv,
    timeout: hook.timeout ?? 0,
    configPath,
  };
}

/** Checks all hooks and plans the two lists tsrun-init runs. */
export function planHooks(config: Config): InitHooksPlan {
  checkHooks(config);
  const env = config.process?.env ?? [];
  const list = (name: 'createContainer' | 'startContainer') =>
    (config.hooks?.[name] ?? []).map((h, i) => initHook(h, `/hooks/${name}/${i}`, env));
  return { createContainer: list('createContainer'), startContainer: list('startContainer'), outputLimit: HOOK_OUTPUT_LIMIT };
}

/**
 * Init stops before pivot_root (HOOKS_READY) when a hook needs the parent
 * there: prestart and createRuntime run in node then, and the container's
 * own hooks get their state JSON in the ACK.
 */
export function needsHooksSync(config: Config): boolean {
  const h = config.hooks;
  return Boolean(h?.prestart?.length || h?.createRuntime?.length || h?.createContainer?.length || h?.startContainer?.length);
}

/**
 * How many bytes of a failed hook's stdout and of its stderr go into its
 * error: the one limit, for the hooks node runs and (through the plan) those
 * tsrun-init runs.
 */
export const HOOK_OUTPUT_LIMIT = 256;

/** How a failed hook ended: one of these is set. */
export interface HookEnd {
  status?: number | null;
  signal?: string | null;
  timedOut?: number;
  execError?: string;
  /** It could not be started at all (initHookFailure words this one itself). */
  setupError?: string;
}

/** The start of what a hook wrote to a stream, and how long all of it was. */
export interface Output {
  head: Buffer;
  total: number;
}

const ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

/**
 * A bounded, escaped excerpt of a hook's output, to quote in one error line:
 * at most HOOK_OUTPUT_LIMIT bytes, control bytes and NUL as \xNN (so
 * nothing a hook prints can cut, forge or recolour the line), then "... (N
 * more bytes)" if it was cut. Trailing whitespace goes when all of it fits.
 * native/init/hooks.cc does exactly the same for the container's hooks.
 */
export function outputExcerpt(out: Output | string): string {
  let { head, total } = typeof out === 'string' ? { head: Buffer.from(out), total: Buffer.byteLength(out) } : out;
  head = head.subarray(0, HOOK_OUTPUT_LIMIT);
  if (head.length >= total) {
    let n = head.length;
    while (n > 0 && [0x0a, 0x20, 0x0d, 0x09].includes(head[n - 1]!)) n--;
    head = head.subarray(0, n);
    total = n;
  }
  const parts: Buffer[] = [];
  let length = 0;
  let used = 0;
  for (const byte of head) {
    const escaped = ESCAPES[byte] ?? (byte < 0x20 || byte === 0x7f ? `\\x${byte.toString(16).padStart(2, '0')}` : undefined);
    const piece = escaped === undefined ? Buffer.of(byte) : Buffer.from(escaped);
    if (length + piece.length > HOOK_OUTPUT_LIMIT) break;
    parts.push(piece);
    length += piece.length;
    used++;
  }
  const text = Buffer.concat(parts).toString('utf8');
  return used < total ? `${text}... (${total - used} more bytes)` : text;
}

/** A hook failure in words: "exited with status 3, stdout: …, stderr: …" (runc reports both streams too). */
export function describeFailure(how: HookEnd, stdout: Output | string = '', stderr: Output | string = ''): string {
  let reason: string;
  if (how.execError !== undefined) reason = `could not be executed: ${how.execError}`;
  else if (how.timedOut !== undefined) reason = `did not finish within its timeout of ${how.timedOut}s and was killed`;
  else if (how.signal) reason = `was killed by signal ${how.signal}`;
  else reason = `exited with status ${how.status}`;
  const streams = ([['stdout', stdout], ['stderr', stderr]] as const)
    .map(([n, s]) => [n, outputExcerpt(s)])
    .filter(([, s]) => s !== '')
    .map(([n, s]) => `, ${n}: ${s}`)
    .join('');
  return reason + streams;
}

/**
 * A hook tsrun-init ran failed: its outcome (native/init/hooks.cc
 * encode_outcome, from MSG_HOOK_FAILED or exec.fifo), worded as the hooks
 * node runs are.
 */
export function initHookFailure(o: { [key: string]: unknown }): HookError {
  const num = (key: string) => Number(o[key] ?? 0);
  const output = (key: string): Output => ({ head: Buffer.isBuffer(o[key]) ? o[key] : Buffer.alloc(0), total: num(`${key}Total`) });
  const path = String(o.path);
  let how: HookEnd;
  // libuv's error map is keyed by negative errno.
  if (num('setupErrno')) how = { setupError: errnoText(-num('setupErrno'), undefined) };
  else if (num('execErrno')) {
    const errno = num('execErrno');
    how = { execError: errnoText(-errno, undefined) };
    // A startContainer hook is looked up in the container, after pivot_root,
    // as the process's user (runc's are too): say so, or a host path that
    // "exists" looks like a permission problem of the hook file itself.
    if (num('afterPivot') && (errno === os.constants.errno.EACCES || errno === os.constants.errno.EPERM)) {
      how.execError += ` (startContainer hooks run inside the container as uid ${num('uid')} gid ${num('gid')}: the path and every directory above it must be reachable there by that user)`;
    }
  } else if (num('timedOut')) how = { timedOut: num('timeout') };
  else if (num('signal')) how = { signal: signalName(num('signal')) };
  else how = { status: num('status') };
  const why = how.setupError !== undefined ? `cannot start hook ${path}: ${how.setupError}` : `hook ${path} ${describeFailure(how, output('stdout'), output('stderr'))}`;
  return new HookError(String(o.configPath), why);
}

/** The outcome's byte strings (the output heads) that decode must keep as Buffers. */
export const HOOK_OUTCOME_BYTES: ReadonlySet<string> = new Set(['stdout', 'stderr']);

function signalName(n: number): string {
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}

/** An unlinked file the hook writes to: unlike a pipe, a daemon the hook leaves behind cannot keep us waiting for EOF. */
function captureFile(): number {
  const file = path.join(os.tmpdir(), `.tsrun-hook-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(file, 'wx+', 0o600);
  fs.unlinkSync(file);
  return fd;
}

function readCapture(fd: number): Output {
  const buf = Buffer.alloc(HOOK_OUTPUT_LIMIT);
  const n = fs.readSync(fd, buf, 0, HOOK_OUTPUT_LIMIT, 0);
  return { head: buf.subarray(0, n), total: fs.fstatSync(fd).size };
}

function errnoText(errno: number | undefined, code: string | undefined): string {
  const known = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1];
  return known ?? code ?? 'unknown error';
}

/** environ as node's spawn takes it (hookEnv has left one entry per name). */
function envObject(env: string[], configPath: string): Record<string, string> {
  return Object.fromEntries(hookEnv(env, configPath).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** Runs one hook in the runtime namespace; returns why it failed, or undefined. */
function runHook(hook: Hook, state: string, cwd: string | undefined, configPath: string): string | undefined {
  const argv = hookArgv(hook);
  const out = captureFile();
  const err = captureFile();
  try {
    // Loaded here, not at start-up: child_process costs ~10 ms to load, and most commands run no hook.
    const r = process.getBuiltinModule('node:child_process').spawnSync(hook.path, argv.slice(1), {
      // execve(path, args): args[0] need not be the path (docker's prestart is
      // /proc/<dockerd>/exe with args[0] "libnetwork-setkey").
      argv0: argv[0],
      // Without env the hook gets tsrun's environment, as runc's get runc's.
      env: hook.env ? envObject(hook.env, configPath) : process.env,
      cwd,
      input: state,
      stdio: ['pipe', out, err],
      timeout: hook.timeout ? hook.timeout * 1000 : undefined,
      killSignal: 'SIGKILL',
    });
    const error = r.error as NodeJS.ErrnoException | undefined;
    let how: HookEnd | undefined;
    if (error?.code === 'ETIMEDOUT') how = { timedOut: hook.timeout };
    // EPIPE: the hook exited without reading stdin; its status says how it went.
    else if (error && error.code !== 'EPIPE') how = { execError: errnoText(error.errno, error.code) };
    else if (r.signal) how = { signal: r.signal };
    else if (r.status !== 0) how = { status: r.status };
    if (!how) return undefined;
    return `hook ${hook.path} ${describeFailure(how, readCapture(out), readCapture(err))}`;
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
}

// The bundle, as runc's hooks get (runc works from it); the caller's cwd if it is gone.
function hookCwd(bundle: string): string | undefined {
  try {
    return fs.statSync(bundle).isDirectory() ? bundle : undefined;
  } catch {
    return undefined;
  }
}

/** Runs config's `name` hooks in order, calling onFailure(configPath, why) for each that fails. */
function eachHook(config: Config, name: HookName, state: HookState, onFailure: (configPath: string, why: string) => void): void {
  const hooks = config.hooks?.[name];
  // Most containers have none: no state JSON and no stat of the bundle for them (start and delete run this).
  if (!hooks?.length) return;
  const json = stateJson(state);
  const cwd = hookCwd(state.bundle);
  hooks.forEach((hook, i) => {
    const configPath = `/hooks/${name}/${i}`;
    const failed = runHook(hook, json, cwd, configPath);
    if (failed) onFailure(configPath, failed);
  });
}

/** Runs config's `name` hooks in order; the first failure throws HookError (prestart, createRuntime). */
export function runHooks(config: Config, name: HookName, state: HookState): void {
  eachHook(config, name, state, (configPath, why) => {
    throw new HookError(configPath, why);
  });
}

/** Runs every `name` hook; a failure is a warning and the rest still run (poststart, poststop: runtime.md). */
export function runHooksWarning(config: Config, name: HookName, state: HookState, warn: (m: string) => void): void {
  eachHook(config, name, state, (configPath, why) => warn(configWarning(configPath, why)));
}

/** What every state a container's hooks get has in common. */
export type HookStateBase = Omit<HookState, 'status' | 'pid'>;

/**
 * create's HOOKS_READY step: prestart, then createRuntime, with the host's
 * view of init's pid; returns the ACK payload, the states createContainer
 * and startContainer get inside, with the pid as the container sees it
 * (runtime.md "State"). A state goes only where there are hooks for it: init
 * keeps it in memory until they run, and annotations can make it large.
 */
export function runCreateRuntimeHooks(config: Config, base: HookStateBase, pid: number, containerPid: number) {
  runHooks(config, 'prestart', { ...base, status: 'creating', pid });
  runHooks(config, 'createRuntime', { ...base, status: 'creating', pid });
  const h = config.hooks;
  return {
    createContainerState: h?.createContainer?.length ? stateJson({ ...base, status: 'creating', pid: containerPid }) : undefined,
    startContainerState: h?.startContainer?.length ? stateJson({ ...base, status: 'created', pid: containerPid }) : undefined,
  };
}
