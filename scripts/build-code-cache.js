// Writes the V8 code caches that src/code-cache.ts loads: for the CLI's
// bundles, the whole one and the lean entries' (scripts/bundle.js; the whole
// one's as it loads, the lite and lifecycle ones' after their commands ran on
// stand-in containers: scripts/warm-code-cache.js), and for the config
// validator, warmed by validating the default `tsrun spec` config so that its
// functions are compiled into the cache too.
// The create bundle's cache holds every function compiled (src/code-cache.ts,
// compileEagerly): a create calls most of them, and compiling them lazily cost
// each create about 5 ms of CPU; the lifecycle bundle's commands call few, and
// reading a cache of all of its functions cost them as much as it saved.
// Run after scripts/bundle.js, with the node that will run tsrun (npm ci does).
// It also records that node's absolute path in dist/node-path: bin/tsrun runs
// that node (the one these caches fit), not whichever `node` the caller's PATH has.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { writeCodeCache } = await import(path.join(dist, 'src', 'code-cache.js'));
const { defaultConfig } = await import(path.join(dist, 'src', 'spec', 'defaults.js'));
const { validatorPath } = await import(path.join(dist, 'src', 'spec', 'validate.js'));

/** The lite and lifecycle bundles' caches, made after running their commands (scripts/warm-code-cache.js). */
function warmedCodeCache(file) {
  const r = spawnSync(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'warm-code-cache.js'), file], {
    cwd: dist,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`build-code-cache: warm-code-cache.js ${file} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  return fs.statSync(path.join(dist, file + '.v8cache')).size;
}

const sizes = {
  'tsrun.cjs': writeCodeCache(path.join(dist, 'tsrun.cjs')),
  ...Object.fromEntries(['tsrun-fast.cjs', 'tsrun-lite.cjs'].map((f) => [f, warmedCodeCache(f)])),
  'tsrun-create.cjs': writeCodeCache(path.join(dist, 'tsrun-create.cjs'), undefined, { eager: true }),
  'config-validator.cjs': writeCodeCache(validatorPath(), (validate) => {
    for (const rootless of [false, true]) if (!validate(defaultConfig({ rootless }))) throw new Error('the default spec does not validate');
  }),
};
// env(1) would take a path holding '=' for a NAME=value.
if (!path.isAbsolute(process.execPath) || process.execPath.includes('=') || process.execPath.includes('\n')) {
  throw new Error(`build-code-cache: cannot record node's path ${JSON.stringify(process.execPath)} for bin/tsrun`);
}
fs.writeFileSync(path.join(dist, 'node-path'), process.execPath + '\n');

console.log(`build-code-cache: ${Object.entries(sizes).map(([f, n]) => `${f} ${Math.round(n / 1024)} kB`).join(', ')}`);
