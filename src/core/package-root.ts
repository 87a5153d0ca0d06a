// The installed package's top directory: the one holding dist/, where this
// module is (dist/src/core/package-root.js, or bundled into dist/<bundle>.cjs).
// Worked out from the path alone: reading package.json on the way up cost
// every start a read and a parse.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A bundle is CommonJS: __filename is its file. As an ES module it is not defined.
declare const __filename: string | undefined;

function find(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  const at = here.lastIndexOf(`${path.sep}dist${path.sep}`);
  if (at < 0) throw new Error(`cannot find the tsrun package directory: ${here} is not under its dist/`);
  return here.slice(0, at);
}

export const packageRoot = find();
