// The command lines engines run most (state, start, kill, delete, list,
// pause, resume, and --version), in their plain forms, read without yargs: building its parser
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
    default:
      return undefined;
  }
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
