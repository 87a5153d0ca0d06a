// The installed package's top directory, found by walking up from this file,
// so paths hold both in dist/src/... and in the single-file bundle dist/tsrun.cjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'tsrun') return dir;
    } catch {
      // no package.json here: go up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the tsrun package directory');
    dir = up;
  }
}

export const packageRoot = find();
