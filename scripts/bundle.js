// Bundles the compiled CLI into one file, dist/tsrun.mjs, which bin/tsrun
// runs: loading one module instead of ~100 halves tsrun's start-up. The
// addon and the generated validator stay separate and are loaded by path.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/tsrun.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Bundled CommonJS (debug) calls require(): give it one.
  banner: { js: "import { createRequire as __tsrunRequire } from 'node:module'; const require = __tsrunRequire(import.meta.url);" },
});
