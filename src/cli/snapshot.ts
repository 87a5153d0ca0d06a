// The entry of tsrun's start-up snapshot (scripts/build-snapshot.js bundles it
// as dist/tsrun-snapshot.cjs and runs `node --build-snapshot` on it into
// dist/tsrun.blob). Everything the bundle's modules do when they load (yargs,
// the commands, ...) is done once, at build, and a tsrun start then begins
// with that heap: node deserializes it instead of reading, compiling and
// running the bundle. bin/tsrun runs node --snapshot-blob dist/tsrun.blob
// dist/tsrun.cjs <args>, so process.argv has the same shape as on the
// code-cache path (src/cli/launch.ts).
//
// Whatever a module reads from its surroundings while it loads is frozen at
// build: the environment (checked by scripts/build-snapshot.js, which refuses
// a bundle that reads a variable while it loads), and what the callback below
// redoes for each start.
import v8 from 'node:v8';
import { forgetDebugSettings } from './debug-log.js';
import { main } from './main.js';

v8.startupSnapshot.addDeserializeCallback(() => {
  // DEBUG is the caller's, not the build's.
  forgetDebugSettings();
});
v8.startupSnapshot.setDeserializeMainFunction(() => {
  void main();
});
