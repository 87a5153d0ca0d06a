// The lean entry of the commands that start a container's process, create,
// run and exec: bundled as dist/tsrun-create.cjs with their handlers, the
// planning code and the runtime, without yargs
// (scripts/bundle.js refuses the bundle if it gets in). bin/tsrun picks it by
// the command word; the config validator loads from its own file at first use.
import type { CommandModule } from 'yargs';
import { createCommand } from './create.js';
import { execCommand } from './exec.js';
import { leanMain } from './lean-entry.js';
import { runCommand } from './run.js';

const CREATE_COMMANDS = { create: createCommand, run: runCommand, exec: execCommand } as unknown as Record<string, CommandModule>;

/** Runs the command line (process.argv) if it is a plain create, run or exec, else the whole CLI. */
export function main(argv: string[] = process.argv): Promise<unknown> {
  return leanMain(argv, CREATE_COMMANDS);
}
