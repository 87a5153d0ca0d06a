// The command lines engines run most (create, run, state, start, kill,
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
 * The plain create or run line: the flags above, in any order, and one id
 * (anywhere among them, as yargs takes it). Any other flag, a value that
 * starts with '-' or is empty, a flag given twice, a boolean flag followed by
 * true or false (yargs reads that as its value), or a --preserve-fds that is
 * not a plain number, goes to yargs.
 */
function createArgs(name: string, rest: string[]): Record<string, unknown> | undefined {
  const argv: Record<string, unknown> = { bundle: '.', noPivot: false, noNewKeyring: false, preserveFds: 0 };
  if (name === 'run') Object.assign(argv, { detach: false, keep: false, noSubreaper: false });
  const seen = new Set<string>();
  let id: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('-')) {
      if (id !== undefined || arg === '') return undefined;
      id = arg;
      continue;
    }
    const key = CREATE_VALUES[arg] ?? (arg === '--preserve-fds' ? 'preserveFds' : undefined);
    const flag = CREATE_BOOLEANS[arg] ?? (name === 'run' ? RUN_BOOLEANS[arg] : undefined);
    const named = key ?? flag;
    if (named === undefined || seen.has(named)) return undefined;
    seen.add(named);
    if (flag) {
      // yargs would take a following true or false as the flag's value.
      if (rest[i + 1] === 'true' || rest[i + 1] === 'false') return undefined;
      argv[flag] = true;
      continue;
    }
    const value = rest[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (key === 'preserveFds') {
      if (!/^\d{1,9}$/.test(value)) return undefined;
      argv.preserveFds = Number(value);
    } else argv[key!] = value;
  }
  if (id === undefined) return undefined;
  return { containerId: id, ...argv };
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
  // As main.ts: --debug turns on the tsrun:* traces too (fast-main.ts comes here first).
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
