// What node runs as its main script, bundled four times by scripts/bundle.js:
// dist/tsrun-launch.cjs (the whole CLI, dist/tsrun.cjs), and the lean entries
// dist/tsrun-lite-launch.cjs (dist/tsrun-lite.cjs),
// dist/tsrun-fast-launch.cjs (dist/tsrun-fast.cjs) and
// dist/tsrun-create-launch.cjs (dist/tsrun-create.cjs); bin/tsrun picks one
// by the command word. Node compiles its main script with no code cache, so
// this file is tiny: it loads its bundle, named by its own file name, with the
// bundle's V8 code cache, then runs the command line.
import fs from 'node:fs';
import path from 'node:path';
import { requireCached } from '../code-cache.js';
import { VERSION_TEXT } from './version.js';

// process.argv[1] is this file, as node resolved it.
const [, self, ...args] = process.argv;
const bundle = path.basename(self).replace(/-launch\.cjs$/, '.cjs');
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // Needs nothing of any bundle.
  fs.writeSync(1, `${VERSION_TEXT}\n`);
} else {
  const cli = requireCached(path.join(path.dirname(self), bundle)) as { main(): Promise<unknown> };
  void cli.main();
}
