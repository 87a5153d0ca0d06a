// The command lines engines run most (create, run, exec, state, start, kill,
// delete, list, pause, resume, and --version), in their plain forms, read
// without yargs: building its parser
// costs ~15-20 ms of each tsrun start. Anything else, or anything unusual in
// these (another flag, `--flag=value`, a missing id, help), goes to yargs as
// before, which then also gives runc's errors. The argv handed to a command's
// handler is the one yargs would have built.
import type { CommandModule } from 'yargs';
import createDebug from 'debug';
import type { GlobalArgs } from './context.js';
import { writeStdout } from './stdout.js';
import { VERSION_TEXT } from './version.js';

type Argv = GlobalArgs & Record<string, unknown>;

/** The global flags read here: `--flag value` or a boolean `--flag`, before the command. */
function readGlobals(args: string[]): { globals: Argv; rest: string[] } | undefined {
  const globals: Argv = { logFormat: 'text', debug: false, systemdCgroup: false };
  let i = 0;
  for (; i < args.length && args[i].startsWith('-'); i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (flag === '--debug') globals.debug = true;
    // Engines with the systemd driver pass it to every command; only create and run use it.
    else if (flag === '--systemd-cgroup') globals.systemdCgroup = true;
    else if (value === undefined || value.startsWith('-')) return undefined;
    else if (flag === '--root') globals.root = value, i++;
    else if (flag === '--log') globals.log = value, i++;
    else if (flag === '--log-format' && (value === 'text' || value === 'json')) globals.logFormat = value, i++;
    else return undefined;
  }
  return { globals, rest: args.slice(i) };
}

const plainId = (s: string | undefined): s is string => s !== undefined && s !== '' && !s.startsWith('-');

/** The handler's arguments for a plain command line, or undefined (yargs then reads it). */
function commandArgs(name: string, rest: string[]): Record<string, unknown> | undefined {
  const [a, b] = rest;
  switch (name) {
    case 'state':
    case 'start':
    case 'pause':
    case 'resume':
      return rest.length === 1 && plainId(a) ? { containerId: a } : undefined;
    case 'kill':
      if (!plainId(a) || rest.length > 2 || (b !== undefined && !plainId(b))) return undefined;
      return { containerId: a, signal: b ?? 'SIGTERM', all: false };
    case 'delete':
      if (rest.length === 1 && plainId(a)) return { containerId: a, force: false };
      if (rest.length === 2 && (a === '--force' || a === '-f') && plainId(b)) return { containerId: b, force: true };
      return undefined;
    case 'list':
      if (rest.length === 0) return { format: 'table', quiet: false };
      if (rest.length === 1 && (a === '-q' || a === '--quiet')) return { format: 'table', quiet: true };
      if (rest.length === 2 && (a === '--format' || a === '-f') && (b === 'json' || b === 'table')) return { format: b, quiet: false };
      return undefined;
    case 'create':
    case 'run':
      return createArgs(name, rest);
    case 'exec':
      return execArgs(rest);
    default:
      return undefined;
  }
}

/** create's and run's flags (create-flags.ts) as engines pass them: `--flag value` or a boolean `--flag`, each once. */
const CREATE_VALUES: Record<string, string> = {
  '--bundle': 'bundle', '-b': 'bundle', '--pid-file': 'pidFile', '--console-socket': 'consoleSocket', '--pidfd-socket': 'pidfdSocket',
};
const CREATE_BOOLEANS: Record<string, string> = { '--no-pivot': 'noPivot', '--no-new-keyring': 'noNewKeyring' };
const RUN_BOOLEANS: Record<string, string> = { '--detach': 'detach', '-d': 'detach', '--keep': 'keep', '--no-subreaper': 'noSubreaper' };

/**
 * Reads the flag at rest[i] into argv: one of values (`--flag value`, and
 * --preserve-fds N) or booleans (`--flag`), each once. Returns the index of
 * its last argument, or undefined for what yargs must read: a flag not
 * listed, one given twice, a value that is empty or starts with '-', a
 * boolean flag followed by true or false (yargs takes that as its value), or
 * a --preserve-fds that is not a plain number.
 */
function readFlag(rest: string[], i: number, values: Record<string, string>, booleans: Record<string, string | undefined>, argv: Record<string, unknown>, seen: Set<string>): number | undefined {
  const arg = rest[i];
  const key = values[arg] ?? (arg === '--preserve-fds' ? 'preserveFds' : undefined);
  const flag = booleans[arg];
  const named = key ?? flag;
  if (named === undefined || seen.has(named)) return undefined;
  seen.add(named);
  if (flag) {
    if (rest[i + 1] === 'true' || rest[i + 1] === 'false') return undefined;
    argv[flag] = true;
    return i;
  }
  const value = rest[i + 1];
  if (value === undefined || value === '' || value.startsWith('-')) return undefined;
  if (key === 'preserveFds') {
    if (!/^\d{1,9}$/.test(value)) return undefined;
    argv.preserveFds = Number(value);
  } else argv[key!] = value;
  return i + 1;
}

/** The plain create or run line: the flags above (readFlag), in any order, and one id (anywhere among them, as yargs takes it). */
function createArgs(name: string, rest: string[]): Record<string, unknown> | undefined {
  const argv: Record<string, unknown> = { bundle: '.', noPivot: false, noNewKeyring: false, preserveFds: 0 };
  if (name === 'run') Object.assign(argv, { detach: false, keep: false, noSubreaper: false });
  const booleans = name === 'run' ? { ...CREATE_BOOLEANS, ...RUN_BOOLEANS } : CREATE_BOOLEANS;
  const seen = new Set<string>();
  let id: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('-')) {
      if (id !== undefined || arg === '') return undefined;
      id = arg;
      continue;
    }
    const last = readFlag(rest, i, CREATE_VALUES, booleans, argv, seen);
    if (last === undefined) return undefined;
    i = last;
  }
  if (id === undefined) return undefined;
  return { containerId: id, ...argv };
}

/** exec's flags (exec.ts) as engines pass them, with --process: `--flag value` or a boolean `--flag`, each once. */
const EXEC_VALUES: Record<string, string> = {
  '--process': 'process', '-p': 'process', '--pid-file': 'pidFile', '--console-socket': 'consoleSocket', '--pidfd-socket': 'pidfdSocket',
};
const EXEC_BOOLEANS: Record<string, string> = { '--detach': 'detach', '-d': 'detach', '--tty': 'tty', '-t': 'tty' };

/**
 * The plain exec line: the flags above (readFlag) before the id, as runc
 * reads them, then the id and the command, which is everything after it. A
 * `--` anywhere, or no command and no --process, goes to yargs.
 */
function execArgs(rest: string[]): Record<string, unknown> | undefined {
  const argv: Record<string, unknown> = { detach: false, preserveFds: 0, ignorePaused: false };
  const seen = new Set<string>();
  let i = 0;
  for (; i < rest.length && rest[i].startsWith('-'); i++) {
    const last = readFlag(rest, i, EXEC_VALUES, EXEC_BOOLEANS, argv, seen);
    if (last === undefined) return undefined;
    i = last;
  }
  const id = rest[i];
  const command = rest.slice(i + 1);
  if (id === undefined || id === '' || command.includes('--') || (command.length === 0 && argv.process === undefined)) return undefined;
  return { containerId: id, command, ...argv };
}

/**
 * Runs args as the plain command line it is, with the command's own handler;
 * false if it is not one (yargs then reads it).
 */
export function runPlain(args: string[], commands: Record<string, CommandModule>): Promise<void> | false {
  const read = readGlobals(args);
  if (!read || read.rest.length === 0) return false;
  const [name, ...rest] = read.rest;
  const module = commands[name];
  const own = module && commandArgs(name, rest);
  if (!module?.handler || !own) return false;
  // As main.ts: --debug turns on the tsrun:* traces too (the lean entries come here first).
  if (read.globals.debug) createDebug.enable(process.env.DEBUG ?? 'tsrun:*');
  const argv = { _: [name], $0: 'tsrun', ...read.globals, ...own };
  return Promise.resolve(module.handler(argv as never)).then(() => undefined);
}

/**
 * `--version`, or args as the plain command line of one of commands they
 * are; false for anything else (yargs then reads it).
 */
export function runWithoutYargs(args: string[], commands: Record<string, CommandModule>): Promise<void> | false {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    writeStdout(`${VERSION_TEXT}\n`);
    return Promise.resolve();
  }
  return runPlain(args, commands);
}
