// The lean entry of the lifecycle commands (state, start, kill, delete, list,
// pause, resume; --version): bundled as dist/tsrun-fast.cjs with only these
// commands' handlers and the lifecycle half of the runtime (RuntimeBase): no
// yargs, no validator, no planning code (scripts/bundle.js refuses the bundle
// if any gets in). bin/tsrun picks it by the command word for delete, pause
// and resume; state, list, kill and start go to the lite entry
// (lite-main.ts), which hands them here when they need the cgroup classes.
import type { CommandModule } from 'yargs';
import { RuntimeBase } from '../runtime/runtime-base.js';
import { useEntryRuntime } from './context.js';
import { deleteCommand } from './delete.js';
import { killCommand } from './kill.js';
import { leanMain } from './lean-entry.js';
import { listCommand } from './list.js';
import { pauseCommand } from './pause.js';
import { resumeCommand } from './resume.js';
import { startCommand } from './start.js';
import { stateCommand } from './state.js';

const LIFECYCLE_COMMANDS = {
  state: stateCommand, start: startCommand, kill: killCommand, delete: deleteCommand, list: listCommand, pause: pauseCommand, resume: resumeCommand,
} as unknown as Record<string, CommandModule>;

/** Runs the command line (process.argv) if it is a plain lifecycle one, else the whole CLI. */
export function main(argv: string[] = process.argv): Promise<unknown> {
  useEntryRuntime(RuntimeBase);
  return leanMain(argv, LIFECYCLE_COMMANDS);
}
