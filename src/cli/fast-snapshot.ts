// The entry of the lifecycle commands' start-up snapshot (src/cli/fast-main.ts):
// scripts/bundle.js bundles it as dist/tsrun-fast-snapshot.cjs and
// scripts/build-snapshot.js runs `node --build-snapshot` on it into
// dist/tsrun-fast.blob. As src/cli/snapshot.ts, for the whole CLI.
import v8 from 'node:v8';
import { forgetDebugSettings } from './debug-log.js';
import { fastMain } from './fast-main.js';

v8.startupSnapshot.addDeserializeCallback(() => {
  // DEBUG is the caller's, not the build's.
  forgetDebugSettings();
});
v8.startupSnapshot.setDeserializeMainFunction(() => {
  void fastMain();
});
