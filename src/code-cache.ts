// Loads a CommonJS file with the V8 code cache made for it at build time
// (scripts/build-code-cache.js), so a tsrun start does not parse and compile
// the CLI bundle and the 400 kB config validator again each time: that was
// about a third of `create`. The cache sits beside the file, written with it
// and trusted as it is; V8 rejects one made by another node or V8 flags, and
// the file then compiles as usual.
import fs from 'node:fs';
import path from 'node:path';
import type vm from 'node:vm';

export const CODE_CACHE_SUFFIX = '.v8cache';

interface Loaded {
  exports: unknown;
  script: vm.Script;
}

/** Node's CommonJS wrapper (Module.wrap's), as tests check a cache with (test/integration/harness.ts). */
export const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'] as const;

function load(file: string, cachedData: Buffer | undefined, eager = false): Loaded {
  // node:vm at first use: a program using tsrun as a library loads no bundle.
  const { Script } = process.getBuiltinModule('node:vm');
  const compile = () => new Script(WRAPPER[0] + fs.readFileSync(file, 'utf8') + WRAPPER[1], { filename: file, cachedData });
  const script = eager ? compileEagerly(compile) : compile();
  const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, builtinsFirstRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, script };
}

/**
 * The require a loaded file gets. The lean bundles require only node's own
 * modules, which process.getBuiltinModule gives; node:module's createRequire
 * (loading node:module pulls in the ESM loader and source maps: about 0.5 ms
 * of CPU per command) is made only for anything else, and for require.resolve,
 * require.cache and the like (yargs, in the whole CLI, uses them).
 */
export function builtinsFirstRequire(file: string): NodeJS.Require {
  let full: NodeJS.Require | undefined;
  const real = () => (full ??= process.getBuiltinModule('node:module').createRequire(file));
  const req = ((id: string) => process.getBuiltinModule(id) ?? real()(id)) as NodeJS.Require;
  for (const key of ['resolve', 'cache', 'main', 'extensions'] as const) {
    Object.defineProperty(req, key, { get: () => real()[key], enumerable: true });
  }
  return req;
}

/** require(file), compiled from its code cache where one fits. */
export function requireCached(file: string): unknown {
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(file + CODE_CACHE_SUFFIX);
  } catch {
    // no cache (a build without it): compile from source
  }
  return load(file, cachedData).exports;
}

/**
 * V8 compiles a function only at its first call, and a cache holds only what
 * was compiled when it was made, so without this each run parses and compiles
 * again every function it calls. --no-lazy compiles them all now; it is set
 * back before the cache is made, as V8 stamps a cache with a hash of its flags
 * and rejects one whose flags differ from the running node's.
 */
function compileEagerly<T>(compile: () => T): T {
  const { setFlagsFromString } = process.getBuiltinModule('node:v8');
  setFlagsFromString('--no-lazy');
  try {
    return compile();
  } finally {
    setFlagsFromString('--lazy');
  }
}

/**
 * Build time: loads file, lets warm() run what a start runs (so the
 * functions it calls are compiled too), and writes the cache beside it.
 * eager: every function of the file is compiled into the cache, called or not.
 */
export function writeCodeCache(file: string, warm: (exports: unknown) => void = () => {}, opts: { eager?: boolean } = {}): number {
  const { exports, script } = load(file, undefined, opts.eager);
  warm(exports);
  return saveCache(file, script);
}

/**
 * writeCodeCache with a warm-up that runs whole commands (they are async):
 * the cache then holds the functions those commands called, which a cache
 * made by loading alone leaves each start to compile again
 * (scripts/warm-code-cache.js).
 */
export async function writeCodeCacheAfter(file: string, warm: (exports: unknown) => Promise<void>): Promise<number> {
  const { exports, script } = load(file, undefined);
  await warm(exports);
  return saveCache(file, script);
}

function saveCache(file: string, script: vm.Script): number {
  const data = script.createCachedData();
  fs.writeFileSync(file + CODE_CACHE_SUFFIX, data);
  return data.length;
}
