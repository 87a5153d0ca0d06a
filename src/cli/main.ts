// tsrun's entry: runc's global flags and commands, one file per command.
import type { WriteStream } from 'node:tty';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import createDebug from 'debug';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { commandName, GLOBAL_OPTIONS, joinDashValues, RUNC_PARSING, useEntryRuntime } from './context.js';
import { checkCommand } from './check.js';
import { checkpointCommand } from './checkpoint.js';
import { createCommand } from './create.js';
import { deleteCommand } from './delete.js';
import { endExecFlags, execCommand } from './exec.js';
import { eventsCommand } from './events.js';
import { featuresCommand } from './features.js';
import { killCommand } from './kill.js';
import { listCommand } from './list.js';
import { runWithoutYargs } from './fast-path.js';
import { Logger } from './log.js';
import { pauseCommand } from './pause.js';
import { endPsFlags, psCommand } from './ps.js';
import { restoreCommand } from './restore.js';
import { resumeCommand } from './resume.js';
import { runCommand } from './run.js';
import { specCommand } from './spec.js';
import { startCommand } from './start.js';
import { stateCommand } from './state.js';
import { updateCommand } from './update.js';
import { VERSION_TEXT } from './version.js';

/** Runs the command line (process.argv): bin/tsrun → dist/tsrun-launch.cjs → here, or a lean entry (lean-entry.ts) → here. */
export function main(argv: string[] = process.argv): Promise<unknown> {
  useEntryRuntime(RuntimeBase);
  const args = joinDashValues(endPsFlags(endExecFlags(hideBin(argv))));
  // Only tsrun's own --debug, not one in exec's command after `--`.
  const end = args.indexOf('--');
  if ((end < 0 ? args : args.slice(0, end)).includes('--debug')) createDebug.enable(process.env.DEBUG ?? 'tsrun:*');
  const plain = runWithoutYargs(args, PLAIN_COMMANDS);
  if (plain) return plain;
  const parser = cli(args);
  skipHelpCaching(parser);
  return parser.parseAsync();
}

/**
 * yargs renders a command's whole help text after running it, in case the
 * command later asks to show it (usage.cacheHelpMessage): ~10 ms of each
 * tsrun start. Our commands never show help after running, and a fresh
 * `--help` renders it anew, so the cache is not filled. Left as it is if a
 * yargs without these internals is installed.
 */
function skipHelpCaching(parser: ReturnType<typeof yargs>): void {
  const internals = (parser as unknown as { getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?: unknown } } })
    .getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

// What fast-path.ts runs without yargs, in their plain forms (as the lean entries do: fast-main.ts, create-main.ts).
const PLAIN_COMMANDS = {
  create: createCommand, run: runCommand, exec: execCommand, state: stateCommand, start: startCommand, kill: killCommand, delete: deleteCommand, list: listCommand, pause: pauseCommand, resume: resumeCommand,
} as unknown as Record<string, CommandModule>;

// yargs cannot type a list of commands with different flags; each module is typed where it is defined.
const COMMANDS = [
  createCommand, startCommand, runCommand, execCommand, stateCommand, killCommand, deleteCommand, listCommand,
  pauseCommand, resumeCommand, psCommand, eventsCommand, updateCommand, specCommand, featuresCommand,
  checkpointCommand, restoreCommand, checkCommand,
] as unknown as CommandModule[];

/**
 * Only the command the arguments name: building every command's usage costs
 * yargs ~10 ms of each start. With no command, or a name that is not one,
 * yargs gets them all, for the help text and for its error.
 */
function commandsFor(args: string[]): CommandModule[] {
  const name = commandName(args);
  const named = name === undefined ? undefined : COMMANDS.find((c) => [String(c.command).split(' ')[0], ...[c.aliases ?? []].flat()].includes(name));
  return named ? [named] : COMMANDS;
}

/**
 * As runc: help is not wrapped when stdout is not a terminal (a pipe, a
 * file). Asked only when help is asked for: node's tty module costs a few ms
 * to load. The width comes from the terminal itself: the bundle hides
 * process.stdout.columns (scripts/bundle.js).
 */
function helpWidth(args: string[]): number | null {
  if (!args.some((a) => a === '--help' || a === '-h' || a === 'help')) return 80;
  if (!process.getBuiltinModule('node:tty').isatty(1)) return null;
  return Math.min(80, (process.stdout as WriteStream).getWindowSize?.()[0] || 80);
}

function cli(args: string[]) {
  const parser = yargs(args);
  return parser
    .scriptName('tsrun')
    .usage('tsrun [global options] <command> [options]\n\nAn OCI runtime-spec container runtime with runc\'s interface.')
    .options(GLOBAL_OPTIONS)
    .parserConfiguration(RUNC_PARSING)
    .command(commandsFor(args))
    .demandCommand(1, 'tsrun: a command is needed (see tsrun --help)')
    .strict()
    .version(VERSION_TEXT)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    .wrap(helpWidth(args))
    .fail((msg, err) => {
      // A usage error: runc prints it and exits 1.
      const flag = err ? undefined : undefinedFlag(args, parser);
      new Logger(undefined, 'text', false).error(err ? err.message : flag ? `flag provided but not defined: ${flag}` : msg);
      process.exit(1);
    });
}

/**
 * The first flag before `--` that neither tsrun nor the command defines, as
 * runc names it ("-x" for -x and --x). yargs checks the positionals first,
 * so `state -x id` (where -x took id as its value) would otherwise say
 * "Not enough non-option arguments" instead.
 */
function undefinedFlag(args: string[], parser: ReturnType<typeof yargs>): string | undefined {
  // getOptions is yargs' own (untyped in @types/yargs): the options in force, the command's included.
  const o = (parser as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; boolean: string[] } }).getOptions();
  const known = new Set([...Object.keys(o.key), ...Object.keys(o.alias), ...Object.values(o.alias).flat(), 'help', 'h', 'version', 'v']);
  const booleans = new Set(o.boolean);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    // Not a flag: a positional, `-` (stdin) or a negative number given as a value.
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) continue;
    const name = a.replace(/^--?/, '').split('=')[0];
    if (!known.has(name)) return `-${name}`;
    if (!booleans.has(name) && !a.includes('=')) i++;
  }
  return undefined;
}
