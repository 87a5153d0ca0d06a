// What every command gets from the global flags: the state store under
// --root and the logger; and the one place errors become output and exit codes.
import path from 'node:path';
import type { ArgumentsCamelCase, Options } from 'yargs';
import type { StateStore } from '../runtime/state.js';
import type { RuntimeOptions, RuntimeCommon } from '../runtime/runtime-common.js';
import { HandOverError } from './hand-over.js';
import { DEFAULT_STATE_ROOT } from '../cgroups/paths.js';
import { parseRootlessFlag } from '../runtime/rootless.js';
import { Logger, type LogFormat } from './log.js';

export interface GlobalArgs {
  /** Absent: root's /run/tsrun, or $XDG_RUNTIME_DIR/tsrun for a rootless caller (rootless.ts). */
  root?: string;
  log?: string;
  logFormat: LogFormat;
  debug: boolean;
  systemdCgroup: boolean;
  rootless?: string;
  criu?: string;
}

/** The arguments of a command that takes only the container id. */
export interface IdArgs {
  containerId: string;
}

export interface Context<R extends RuntimeCommon = RuntimeCommon> {
  /** The one code path every command goes through (the library's too): the entry's runtime (state, list, kill, start), RuntimeBase, or Runtime for a command that makes or changes containers. */
  runtime: R;
  /** runtime's state store, for checkpoint and restore. */
  store: StateStore;
  log: Logger;
  /** --systemd-cgroup: a new container's cgroup is a systemd scope (later commands follow its stored record). */
  systemdCgroup: boolean;
}

// One constant: the default root's containers also keep the plain /tsrun/<id> cgroups.
export const DEFAULT_ROOT = DEFAULT_STATE_ROOT;

/** runc's global flags; they may come before or after the command. */
export const GLOBAL_OPTIONS = {
  // No default here: a rootless caller's is under XDG_RUNTIME_DIR (rootless.ts defaultStateRoot), chosen when first used.
  root: { type: 'string', describe: `directory for container state (default: ${DEFAULT_ROOT}, or $XDG_RUNTIME_DIR/tsrun when not root)`, global: true },
  log: { type: 'string', describe: 'log file (default: stderr)', global: true },
  'log-format': { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'log line format', global: true },
  debug: { type: 'boolean', default: false, describe: 'debug logging (DEBUG=tsrun:* traces too)', global: true },
  'systemd-cgroup': { type: 'boolean', default: false, describe: 'use the systemd cgroup driver: cgroupsPath is "slice:prefix:name"', global: true },
  // No default, so that `spec --rootless` (bare) can be told from its absence.
  rootless: { type: 'string', describe: 'rootless mode: true, false or auto (the default)', global: true },
  criu: { type: 'string', describe: 'path to criu, for checkpoint/restore', global: true },
} as const satisfies Record<string, Options>;

/** The runtime class a command's context holds: the one the command names, else the entry's (useEntryRuntime). */
export type RuntimeClass<R extends RuntimeCommon> = new (opts: RuntimeOptions) => R;

/**
 * The runtime of the commands that name none (state, list, kill, start): the
 * entry sets it before it runs a command. The whole CLI and the lifecycle
 * entry give RuntimeBase; the lite entry (lite-main.ts) gives one without the
 * cgroup classes and a dead create's cleanup, which hands the command line
 * over to the lifecycle entry when it needs them.
 */
let entryRuntime: RuntimeClass<RuntimeCommon> | undefined;

export function useEntryRuntime(Rt: RuntimeClass<RuntimeCommon>): void {
  entryRuntime = Rt;
}

function contextFrom<R extends RuntimeCommon>(argv: GlobalArgs, Rt: RuntimeClass<R>): Context<R> {
  const log = new Logger(argv.log, argv.logFormat, argv.debug);
  // Flags engines pass that tsrun cannot honour yet: refuse them by name.
  const rootless = parseRootlessFlag(argv.rootless === '' ? undefined : argv.rootless);
  const systemdCgroup = argv.systemdCgroup === true;
  const runtime = new Rt({ root: argv.root === undefined ? undefined : path.resolve(argv.root), rootless, log, systemdCgroup });
  return {
    runtime,
    // The root is chosen when first used: spec and features need none, so a rootless caller without XDG_RUNTIME_DIR may still run them.
    get store() {
      return runtime.store;
    },
    log,
    systemdCgroup,
  };
}

type Handler<A, R extends RuntimeCommon> = (ctx: Context<R>, argv: ArgumentsCamelCase<A & GlobalArgs>) => Promise<number | void> | number | void;

/**
 * Wraps a command: builds the context, runs it, and maps errors to runc's
 * output and exit codes. The context's runtime is an instance of Rt
 * (RuntimeBase, the lifecycle of existing containers; Runtime, which makes
 * them), or without Rt the entry's runtime: a command loads only the part of
 * the runtime it names. A HandOverError is not the command's failure: it goes
 * up to the lean entry, which runs the command line again in a fuller one.
 */
export function command<A, R extends RuntimeCommon = RuntimeCommon>(fn: Handler<A, R>, Rt?: RuntimeClass<R>) {
  return async (argv: ArgumentsCamelCase<A & GlobalArgs>): Promise<void> => {
    let log: Logger | undefined;
    try {
      const cls = Rt ?? (entryRuntime as RuntimeClass<R> | undefined);
      if (!cls) throw new Error('context.ts: no runtime class; the entry calls useEntryRuntime before it runs a command');
      const ctx = contextFrom(argv, cls);
      log = ctx.log;
      const code = await fn(ctx, argv);
      if (typeof code === 'number') process.exitCode = code;
    } catch (e) {
      if (e instanceof HandOverError) throw e;
      reportError(e, log ?? new Logger(undefined, argv.logFormat ?? 'text', false), argv.debug);
      process.exitCode = typeof (e as { exitCode?: unknown }).exitCode === 'number' ? (e as { exitCode: number }).exitCode : 1;
    }
  };
}

export function reportError(e: unknown, log: Logger, debug: boolean): void {
  const msg = e instanceof Error ? e.message : String(e);
  log.error(msg);
  if (!log.toStderr) process.stderr.write(msg + '\n');
  if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
}

/**
 * runc's flags as Go's flag package reads them. --no-pivot, --no-new-keyring,
 * --no-new-privs are flags of their own, not negations. One dash is as good
 * as two (containerd's shim passes `restore ... -no-subreaper`), and short
 * flags are not grouped (runc: "flag provided but not defined: -dt").
 */
export const RUNC_PARSING = { 'boolean-negation': false, 'short-option-groups': false } as const;

/**
 * Go's flag package takes `-` as a flag's value (`update -r -`: stdin), and
 * yargs-parser does not when it reads a flag as a long one (RUNC_PARSING):
 * so a lone `-` after a flag is joined to it (`-r=-`). No runc command takes
 * `-` as an operand. Nothing after `--` is touched.
 */
export function joinDashValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return out.concat(args.slice(i));
    const prev = out[out.length - 1];
    if (a === '-' && prev !== undefined && /^--?[^-=][^=]*$/.test(prev)) out[out.length - 1] = `${prev}=-`;
    else out.push(a);
  }
  return out;
}

/** The flags (global ones and options') that take the next argument as their value. */
function valueFlags(options: Record<string, Options> = {}): Set<string> {
  const takesValue = new Set<string>();
  for (const [flag, o] of Object.entries({ ...GLOBAL_OPTIONS, ...options }) as Array<[string, Options]>) {
    if (o.type === 'boolean') continue;
    // Go's flag package: `--root` and `-root` alike (RUNC_PARSING).
    takesValue.add(`--${flag}`).add(`-${flag}`);
    for (const a of [o.alias ?? []].flat()) takesValue.add(`-${a}`).add(`--${a}`);
  }
  return takesValue;
}

/**
 * Where the first argument that is neither a flag in takesValue's sense nor
 * such a flag's value stands (-1: none before `--`). The flags are read
 * `--flag value` and `-f value`, never `--flag=value` or `-fvalue`.
 */
function firstPositional(args: string[], takesValue: Set<string>, from = 0): number {
  for (let i = from; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return -1;
    if (!a.startsWith('-') || a === '-') return i;
    if (takesValue.has(a)) i++;
  }
  return -1;
}

/** The first argument that is neither a global flag nor a global flag's value: the command's name, if any. */
export function commandName(args: string[]): string | undefined {
  const at = firstPositional(args, valueFlags());
  return at < 0 ? undefined : args[at];
}

/**
 * Puts `--` after the container id of command `name` (exec, ps), so that
 * yargs leaves what follows alone: runc reads such a command's own flags only
 * up to the id. options are the command's flags, to tell which take a value.
 * The arguments of any other command come back as they are.
 */
export function endFlagsAfterId(args: string[], name: string, options: Record<string, Options>): string[] {
  const takesValue = valueFlags(options);
  const command = firstPositional(args, takesValue);
  if (command < 0 || args[command] !== name) return args;
  const id = firstPositional(args, takesValue, command + 1);
  if (id < 0 || id + 1 === args.length || args[id + 1] === '--') return args;
  return [...args.slice(0, id + 1), '--', ...args.slice(id + 1)];
}
