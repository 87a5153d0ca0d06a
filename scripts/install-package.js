// npm's install step after the native build (package.json "install"). In an
// installed package dist/ came in the tarball, built by the packer: its code
// caches and node-path are the packer's, made with the
// packer's node in the packer's directory, so V8 would reject the caches and
// bin/tsrun would run another node. They are made again here, with the node npm runs this with.
// A checkout (its tsconfig.json is not packed) builds dist/ in prepare, right
// after this step: nothing to do here, even over a dist/ of an earlier build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const installed = !fs.existsSync(path.join(root, 'tsconfig.json'));
if (installed && fs.existsSync(path.join(root, 'dist', 'tsrun.cjs')) && fs.existsSync(path.join(root, 'dist', 'src', 'code-cache.js'))) {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-code-cache.js')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
