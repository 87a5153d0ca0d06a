// What the lean entries share (src/cli/lite-main.ts for state, list, kill and
// start, src/cli/fast-main.ts for the lifecycle commands, src/cli/create-main.ts for
// create, run and exec): each is a bundle of its own (scripts/bundle.js)
// holding only its commands' handlers, without yargs, so node compiles and
// runs little at each start. A command line that is not a plain one of these
// (a flag fast-path.ts does not read, --help, a usage error) runs the whole
// CLI (dist/tsrun.cjs, main.ts), loaded with its code cache, so the result is
// the same either way; a command that meets what its entry holds no code for
// (HandOverError) runs again in the entry named by handOverTo.
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { requireCached } from '../code-cache.js';
import { runWithoutYargs } from './fast-path.js';
import { HandOverError } from './hand-over.js';

type Entry = { main(argv: string[]): Promise<unknown> };

/** The entry bundle named (a file in dist/, beside the launch file in argv[1]), loaded with its code cache. */
const entry = (argv: string[], bundle: string) => requireCached(path.resolve(path.dirname(argv[1]), bundle)) as Entry;

/**
 * Runs the command line (process.argv: [node, the entry's launch file in
 * dist/, ...args]) with commands, or the whole CLI; a hand-over runs it in
 * handOverTo's entry.
 */
export async function leanMain(argv: string[], commands: Record<string, CommandModule>, handOverTo = 'tsrun.cjs'): Promise<unknown> {
  // As yargs' hideBin for node: the arguments after node's script.
  const lean = runWithoutYargs(argv.slice(2), commands);
  if (!lean) return entry(argv, 'tsrun.cjs').main(argv);
  try {
    return await lean;
  } catch (e) {
    if (!(e instanceof HandOverError)) throw e;
    return entry(argv, handOverTo).main(argv);
  }
}
