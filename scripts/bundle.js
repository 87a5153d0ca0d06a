// Bundles the compiled CLI into one CommonJS file, dist/tsrun.cjs, and the
// launcher bin/tsrun runs, dist/tsrun-launch.cjs, which loads the bundle with
// its V8 code cache (scripts/build-code-cache.js; src/code-cache.ts); and the
// same CLI as the entry of the start-up snapshot, dist/tsrun-snapshot.cjs
// (src/cli/snapshot.ts; scripts/build-snapshot.js), and the lifecycle
// commands' smaller one, dist/tsrun-fast-snapshot.cjs (src/cli/fast-main.ts). One file
// instead of ~100 modules halves start-up; CommonJS, because node 20 can give
// a code cache only to a script. The addon and the generated validator stay
// separate and are loaded by path.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' };

// The CLI's options, for the bundle the code-cache path loads and for the
// snapshot's entry (src/cli/snapshot.ts; scripts/build-snapshot.js).
const cliOptions = {
  ...common,
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
};

// What the snapshot's modules may read from the environment while they load
// (that value is then the build's, for every start): yargs-parser's minimum
// node version check only.
const SNAPSHOT_LOAD_ENV = ['YARGS_MIN_NODE_VERSION'];
// Around the snapshot entry: every variable read while the bundle loads is
// recorded, and the build stops on one not listed above.
const snapshotEnvGuard = {
  banner:
    'var __tsrunEnv = process.env, __tsrunEnvRead = new Set();\n' +
    'process.env = new Proxy(__tsrunEnv, { get(t, k) { if (typeof k === "string") __tsrunEnvRead.add(k); return Reflect.get(t, k); } });',
  footer:
    'process.env = __tsrunEnv;\n' +
    `for (const k of __tsrunEnvRead) if (!${JSON.stringify(SNAPSHOT_LOAD_ENV)}.includes(k)) ` +
    'throw new Error(`tsrun-snapshot.cjs reads $${k} while it loads: the snapshot would keep the build\'s value; read it at first use`);',
};

await build({ ...cliOptions, entryPoints: ['dist/src/cli/main.js'], outfile: 'dist/tsrun.cjs' });
// The two snapshot entries: the whole CLI (dist/tsrun.blob), and the lifecycle
// commands' (dist/tsrun-fast.blob; src/cli/fast-main.ts).
const snapshotEntries = { 'dist/tsrun-snapshot.cjs': 'dist/src/cli/snapshot.js', 'dist/tsrun-fast-snapshot.cjs': 'dist/src/cli/fast-snapshot.js' };
// What the lifecycle commands' bundle must not hold: it is small because it holds none of these.
const NOT_IN_FAST = [/node_modules\/(yargs|yargs-parser|ajv|protobufjs)\//, /dist\/src\/spec\/validate\.js$/, /dist\/src\/runtime\/(create|plan|seccomp|exec|check)\.js$/];
for (const [outfile, entry] of Object.entries(snapshotEntries)) {
  const built = await build({
    ...cliOptions,
    entryPoints: [entry],
    outfile,
    metafile: true,
    banner: { js: `${cliOptions.banner.js}\n${snapshotEnvGuard.banner}` },
    footer: { js: snapshotEnvGuard.footer },
  });
  if (outfile !== 'dist/tsrun-fast-snapshot.cjs') continue;
  const inputs = Object.keys(built.metafile.inputs);
  const held = inputs.filter((f) => NOT_IN_FAST.some((r) => r.test(f)));
  if (held.length) throw new Error(`bundle.js: ${outfile} holds ${held.join(', ')}: the lifecycle commands' entry (src/cli/fast-main.ts) must not import them`);
}
await build({ ...common, entryPoints: ['dist/src/cli/launch.js'], outfile: 'dist/tsrun-launch.cjs' });
// The systemd driver's D-Bus worker (src/cgroups/systemd-bus.ts) with its D-Bus
// library: a file of its own, loaded only when --systemd-cgroup is used.
await build({ ...common, entryPoints: ['dist/src/cgroups/systemd-bus-worker.js'], outfile: 'dist/systemd-bus-worker.cjs' });

// esbuild gives each `import fs from 'node:fs'` its own copy of the module's
// properties (__toESM): ~70 copies of fs, path and os, several ms of every
// start. One per builtin is enough, as ES module namespaces are one per module.
for (const file of ['dist/tsrun.cjs', ...Object.keys(snapshotEntries)]) {
  const cli = readFileSync(file, 'utf8');
  const helper = 'var __toESM = ';
  if (!cli.includes(helper)) throw new Error(`bundle.js: no ${helper} in ${file}: esbuild's helpers changed`);
  writeFileSync(
    file,
    cli
      .replace(helper, 'var __tsrunBuiltins = new Map();\nvar __tsrunBuiltin = (id) => __tsrunBuiltins.get(id) ?? __tsrunBuiltins.set(id, __toESM(require(id), 1)).get(id);\n' + helper)
      .replace(/__toESM\(require\(("(?:node:)?[a-z_/]+")\), 1\)/g, '__tsrunBuiltin($1)'),
  );
}
