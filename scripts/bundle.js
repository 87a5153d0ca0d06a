// Bundles the compiled CLI into CommonJS files node loads with their V8 code
// caches (scripts/build-code-cache.js; src/code-cache.ts): the whole CLI,
// dist/tsrun.cjs (src/cli/main.ts), and three lean entries without yargs,
// dist/tsrun-lite.cjs for state, list, kill and start (src/cli/lite-main.ts),
// dist/tsrun-fast.cjs for the lifecycle commands (src/cli/fast-main.ts; no cgroup
// resource code: cgroups/resources.ts) and
// dist/tsrun-create.cjs for create, run and exec (src/cli/create-main.ts); and for
// each, the tiny main script bin/tsrun runs, dist/<name>-launch.cjs
// (src/cli/launch.ts), which loads it. One file instead of ~100 modules
// halves start-up; CommonJS, because node 20 can give a code cache only to a
// script. The addon and the generated validator stay separate and are loaded
// by path.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' };

// The options of the CLI's bundles.
const cliOptions = {
  ...common,
  // The sources are ES modules: their import.meta.url is this file's URL,
  // made when first asked for (yargs asks; src/core/package-root.ts takes
  // __filename instead).
  // yargs' platform shim reads process.stdout.columns when it loads, which
  // makes process.stdout (node loads tty or net for it: ~8 ms) at every start,
  // for a value only its default wrap uses; main.ts sets the wrap itself.
  define: { 'import.meta.url': '__tsrunImportMeta.url', 'process.stdout.columns': 'undefined' },
  banner: { js: "var __tsrunImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  // Smaller files to read and keep as source (names kept, for --debug's stacks).
  minifyWhitespace: true,
  minifySyntax: true,
  // yargs wants two functions of node's assert, whose loading costs more than they do (src/cli/yargs-assert.ts).
  // The ESM cliui wraps help mid-word: ours wraps at spaces (src/cli/cliui.ts).
  alias: {
    assert: './dist/src/cli/yargs-assert.js',
    cliui: './dist/src/cli/cliui.js',
    // debug loads tty and makes process.stderr at load: src/cli/debug-log.ts does neither.
    debug: './dist/src/cli/debug-log.js',
    'cliui-core': './node_modules/cliui/build/lib/index.js',
  },
};

// Each bundle, its entry, and what it must not hold: the lean ones are small because they hold none of these.
const YARGS = /node_modules\/(yargs|yargs-parser)\//;
const CGROUP_RESOURCES = /dist\/src\/cgroups\/(resources|v1-writes|v2-writes|common-writes|device-bpf|dry-run)\.js$/;
const bundles = {
  'dist/tsrun.cjs': { entry: 'dist/src/cli/main.js', without: [] },
  'dist/tsrun-fast.cjs': {
    entry: 'dist/src/cli/fast-main.js',
    without: [
      YARGS, /node_modules\/(ajv|protobufjs)\//, /dist\/src\/spec\/validate\.js$/, /dist\/src\/runtime\/(create|plan|seccomp|exec|check)\.js$/,
      // delete, pause and resume only signal, freeze and remove a cgroup: no resource planner, writes or stats (cgroups/resources.ts).
      CGROUP_RESOURCES,
    ],
  },
  // create, run and exec (ProcessRuntime): not update, events or check, nor the cgroup stats and dry run they read.
  'dist/tsrun-create.cjs': {
    entry: 'dist/src/cli/create-main.js',
    without: [YARGS, /node_modules\/protobufjs\//, /dist\/src\/runtime\/(check|events|update)\.js$/, /dist\/src\/cgroups\/(stats|dry-run)\.js$/],
  },
  // state, list, kill and start: not even the cgroup classes or the rest of the lifecycle (the status check reads the freezer itself).
  'dist/tsrun-lite.cjs': {
    entry: 'dist/src/cli/lite-main.js',
    without: [
      YARGS, /node_modules\/(ajv|protobufjs)\//, /dist\/src\/spec\/validate\.js$/,
      /dist\/src\/runtime\/(create|plan|seccomp|exec|check|delete|pause|ps|dead-create|runtime-base)\.js$/,
      /dist\/src\/cgroups\/(index|cgroup|v1|v2|systemd)\.js$/, CGROUP_RESOURCES,
    ],
  },
};
for (const [outfile, { entry, without }] of Object.entries(bundles)) {
  const built = await build({ ...cliOptions, entryPoints: [entry], outfile, metafile: true });
  // What the bundle holds code of: a module tree-shaken away is listed with
  // 0 bytes, or a few dozen for the requires of builtins esbuild keeps.
  const inBundle = Object.entries(Object.values(built.metafile.outputs)[0].inputs).filter(([, i]) => i.bytesInOutput > 64).map(([f]) => f);
  const held = inBundle.filter((f) => without.some((r) => r.test(f)));
  if (held.length) throw new Error(`bundle.js: ${outfile} holds ${held.join(', ')}: its entry (${entry}) must not import them`);
  await build({ ...common, entryPoints: ['dist/src/cli/launch.js'], outfile: outfile.replace(/\.cjs$/, '-launch.cjs') });
}
// The systemd driver's D-Bus worker (src/cgroups/systemd-bus.ts) with its D-Bus
// library: a file of its own, loaded only when --systemd-cgroup is used.
await build({ ...common, entryPoints: ['dist/src/cgroups/systemd-bus-worker.js'], outfile: 'dist/systemd-bus-worker.cjs' });

// esbuild gives each `import fs from 'node:fs'` its own copy of the module's
// properties (__toESM, a getter defined for each): ~70 copies of fs, path and
// os, several ms of every start. A builtin's namespace is one object per
// builtin, made at its first import, whose prototype is the builtin itself
// (its properties read through, none copied) and whose default is the builtin.
const BUILTIN_NAMESPACE =
  'var __tsrunBuiltins = new Map();\n' +
  'var __tsrunBuiltin = (id) => { let ns = __tsrunBuiltins.get(id); if (!ns) { const m = require(id); ns = Object.create(m, { default: { value: m, enumerable: true } }); __tsrunBuiltins.set(id, ns); } return ns; };\n';
// node:os costs a command about 0.3 ms to load (its binding, its constants),
// and most lifecycle commands never touch it (kill's signal names, a cgroup's
// SIGKILL, create's kernel release do): its namespace loads it at the first
// property read, not when a module that imports it is initialised.
const LAZY_BUILTINS = ['node:os'];
const LAZY_NAMESPACE =
  'var __tsrunLazyBuiltin = (id) => { let m; const load = () => (m ??= require(id)); ' +
  "return new Proxy({}, { get: (_, k) => (k === 'default' ? load() : load()[k]), has: (_, k) => k in load() }); };\n";
const launchFiles = Object.keys(bundles).map((f) => f.replace(/\.cjs$/, '-launch.cjs'));
for (const file of [...Object.keys(bundles), ...launchFiles]) {
  const cli = readFileSync(file, 'utf8');
  const helper = /var __toESM ?=/.exec(cli)?.[0];
  if (!helper) throw new Error(`bundle.js: no __toESM in ${file}: esbuild's helpers changed`);
  let out = cli.replace(helper, BUILTIN_NAMESPACE + LAZY_NAMESPACE + helper).replace(/__toESM\(require\(("(?:node:)?[a-z_/]+")\), ?1\)/g, '__tsrunBuiltin($1)');
  if (/__toESM\(require\("node:/.test(out)) throw new Error(`bundle.js: ${file} still copies a builtin (__toESM(require("node:...")): esbuild's output changed`);
  for (const id of LAZY_BUILTINS) {
    // `import os from` (__tsrunBuiltin) and `import { constants } from` (a plain require, read at each use).
    out = out.replaceAll(`__tsrunBuiltin("${id}")`, `__tsrunLazyBuiltin("${id}")`).replace(new RegExp(`=\\s*require\\("${id}"\\)`, 'g'), `=__tsrunLazyBuiltin("${id}")`);
    if (out.includes(`require("${id}")`)) throw new Error(`bundle.js: ${file} still requires ${id} where a module is initialised: esbuild's output changed`);
  }
  writeFileSync(file, out);
}
