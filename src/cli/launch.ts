// What bin/tsrun runs (bundled as dist/tsrun-launch.cjs): loads the CLI
// bundle beside it with its V8 code cache, then runs the command line.
import path from 'node:path';
import { requireCached } from '../code-cache.js';

const cli = requireCached(path.join(path.dirname(process.argv[1]), 'tsrun.cjs')) as { main(): Promise<unknown> };
void cli.main();
