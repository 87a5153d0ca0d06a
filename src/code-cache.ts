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

function load(file: string, cachedData: Buffer | undefined): Loaded {
  // node:module and node:vm at first use: the start-up snapshot (src/cli/snapshot.ts) holds this module, and node
  // warns of both there, as not known to survive one.
  const { wrap, createRequire } = process.getBuiltinModule('node:module');
  const { Script } = process.getBuiltinModule('node:vm');
  const script = new Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, script };
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
 * Build time: loads file, lets warm() run what a start runs (so the
 * functions it calls are compiled too), and writes the cache beside it.
 */
export function writeCodeCache(file: string, warm: (exports: unknown) => void = () => {}): number {
  const { exports, script } = load(file, undefined);
  warm(exports);
  const data = script.createCachedData();
  fs.writeFileSync(file + CODE_CACHE_SUFFIX, data);
  return data.length;
}
