// Bundles the compiled CLI into one CommonJS file, dist/tsrun.cjs, and the
// launcher bin/tsrun runs, dist/tsrun-launch.cjs, which loads the bundle with
// its V8 code cache (scripts/build-code-cache.js; src/code-cache.ts). One file
// instead of ~100 modules halves start-up; CommonJS, because node 20 can give
// a code cache only to a script. The addon and the generated validator stay
// separate and are loaded by path.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/tsrun.cjs',
  // The sources are ES modules: their import.meta.url is this file's URL.
  // yargs' platform shim reads process.stdout.columns when it loads, which
  // makes process.stdout (node loads tty or net for it: ~8 ms) at every start,
  // for a value only its default wrap uses; main.ts sets the wrap itself.
  define: { 'import.meta.url': '__tsrunFileUrl', 'process.stdout.columns': 'undefined' },
  banner: { js: "var __tsrunFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  // yargs wants two functions of node's assert, whose loading costs more than they do (src/cli/yargs-assert.ts).
  // The ESM cliui wraps help mid-word: ours wraps at spaces (src/cli/cliui.ts).
  alias: {
    assert: './dist/src/cli/yargs-assert.js',
    cliui: './dist/src/cli/cliui.js',
    // debug loads tty and makes process.stderr at load: src/cli/debug-log.ts does neither.
    debug: './dist/src/cli/debug-log.js',
    'cliui-core': './node_modules/cliui/build/lib/index.js',
  },
});
await build({ ...common, entryPoints: ['dist/src/cli/launch.js'], outfile: 'dist/tsrun-launch.cjs' });
// The systemd driver's D-Bus worker (src/cgroups/systemd-bus.ts) with its D-Bus
// library: a file of its own, loaded only when --systemd-cgroup is used.
await build({ ...common, entryPoints: ['dist/src/cgroups/systemd-bus-worker.js'], outfile: 'dist/systemd-bus-worker.cjs' });

// esbuild gives each `import fs from 'node:fs'` its own copy of the module's
// properties (__toESM): ~70 copies of fs, path and os, several ms of every
// start. One per builtin is enough, as ES module namespaces are one per module.
const cli = readFileSync('dist/tsrun.cjs', 'utf8');
const helper = 'var __toCommonJS = ';
if (!cli.includes(helper)) throw new Error(`bundle.js: no ${helper} in dist/tsrun.cjs: esbuild's helpers changed`);
writeFileSync(
  'dist/tsrun.cjs',
  cli
    .replace(helper, 'var __tsrunBuiltins = new Map();\nvar __tsrunBuiltin = (id) => __tsrunBuiltins.get(id) ?? __tsrunBuiltins.set(id, __toESM(require(id), 1)).get(id);\n' + helper)
    .replace(/__toESM\(require\(("(?:node:)?[a-z_/]+")\), 1\)/g, '__tsrunBuiltin($1)'),
);
