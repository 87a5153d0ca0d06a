#!/usr/bin/env node
// tsrun's entry: runc's global flags and commands, one file per command.
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import createDebug from 'debug';
import { OCI_VERSION } from '../runtime/create.js';
import { DEFAULT_ROOT } from './context.js';
import { createCommand } from './create.js';
import { deleteCommand } from './delete.js';
import { killCommand } from './kill.js';
import { listCommand } from './list.js';
import { Logger } from './log.js';
import { runCommand } from './run.js';
import { startCommand } from './start.js';
import { stateCommand } from './state.js';
import { unimplementedCommands } from './unimplemented.js';

const VERSION = '0.1.0';

const args = hideBin(process.argv);
if (args.includes('--debug')) createDebug.enable(process.env.DEBUG ?? 'tsrun:*');

await yargs(args)
  .scriptName('tsrun')
  .usage('tsrun [global options] <command> [options]\n\nAn OCI runtime-spec container runtime with runc\'s interface.')
  .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state', global: true })
  .option('log', { type: 'string', describe: 'log file (default: stderr)', global: true })
  .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'log line format', global: true })
  .option('debug', { type: 'boolean', default: false, describe: 'debug logging (DEBUG=tsrun:* traces too)', global: true })
  .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'use the systemd cgroup driver (not supported yet)', global: true })
  .option('rootless', { type: 'string', default: 'auto', describe: 'rootless mode: true, false or auto', global: true })
  .option('criu', { type: 'string', describe: 'path to criu, for checkpoint/restore', global: true })
  // yargs cannot type a list of commands with different flags; each module is typed where it is defined.
  .command([
    createCommand, startCommand, runCommand, stateCommand, killCommand, deleteCommand, listCommand,
    ...unimplementedCommands,
  ] as unknown as CommandModule[])
  .demandCommand(1, 'tsrun: a command is needed (see tsrun --help)')
  .strict()
  .version(`tsrun version ${VERSION}\nspec: ${OCI_VERSION}`)
  .alias('version', 'v')
  .help()
  .alias('help', 'h')
  .fail((msg, err) => {
    // A usage error: runc prints it and exits 1.
    new Logger(undefined, 'text', false).error(err ? err.message : msg);
    process.exit(1);
  })
  .parseAsync();
