// What the lean entries share (src/cli/fast-main.ts for the lifecycle
// commands, src/cli/create-main.ts for create, run and exec): each is a bundle of
// its own (scripts/bundle.js) holding only its commands' handlers, without
// yargs, so node compiles and runs little at each start. A command line that
// is not a plain one of these (a flag fast-path.ts does not read, --help, a
// usage error) runs the whole CLI (dist/tsrun.cjs, main.ts), loaded with its
// code cache, so the result is the same either way.
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { requireCached } from '../code-cache.js';
import { runWithoutYargs } from './fast-path.js';

/** Runs the command line (process.argv: [node, the entry's launch file in dist/, ...args]) with commands, or the whole CLI. */
export function leanMain(argv: string[], commands: Record<string, CommandModule>): Promise<unknown> {
  // As yargs' hideBin for node: the arguments after node's script.
  const lean = runWithoutYargs(argv.slice(2), commands);
  if (lean) return lean;
  const cli = requireCached(path.resolve(path.dirname(argv[1]), 'tsrun.cjs')) as { main(argv: string[]): Promise<unknown> };
  return cli.main(argv);
}
