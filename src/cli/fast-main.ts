// The entry of the lifecycle commands engines run most (state, start, kill,
// delete, list, pause, resume; --version), as the start-up snapshot
// dist/tsrun-fast.blob holds it (src/cli/fast-snapshot.ts): only these
// commands' handlers and the lifecycle half of the runtime (RuntimeBase), no
// yargs, no validator, no planning code, so node deserializes a small heap.
// bin/tsrun picks this blob by the command word. A command line that is not
// a plain one of these (a flag fast-path.ts does not read, --help, a usage
// error) runs the whole CLI (main.ts), loaded with its code cache as on the
// code-cache path (src/cli/launch.ts), so the result is the same either way.
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { requireCached } from '../code-cache.js';
import { deleteCommand } from './delete.js';
import { runWithoutYargs } from './fast-path.js';
import { killCommand } from './kill.js';
import { listCommand } from './list.js';
import { pauseCommand } from './pause.js';
import { resumeCommand } from './resume.js';
import { startCommand } from './start.js';
import { stateCommand } from './state.js';

const LIFECYCLE_COMMANDS = {
  state: stateCommand, start: startCommand, kill: killCommand, delete: deleteCommand, list: listCommand, pause: pauseCommand, resume: resumeCommand,
} as unknown as Record<string, CommandModule>;

/** Runs the command line (process.argv, whose [1] is dist/tsrun.cjs as bin/tsrun gives it, maybe relative: node leaves it so with a blob). */
export function fastMain(argv: string[] = process.argv): Promise<unknown> {
  // As yargs' hideBin for node: the arguments after node's script.
  const fast = runWithoutYargs(argv.slice(2), LIFECYCLE_COMMANDS);
  if (fast) return fast;
  const cli = requireCached(path.resolve(path.dirname(argv[1]), 'tsrun.cjs')) as { main(argv: string[]): Promise<unknown> };
  return cli.main(argv);
}
