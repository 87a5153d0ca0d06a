// Builds tsrun's start-up snapshots, dist/tsrun.blob from the bundled
// snapshot entry dist/tsrun-snapshot.cjs (the whole CLI; src/cli/snapshot.ts)
// and dist/tsrun-fast.blob from dist/tsrun-fast-snapshot.cjs (the lifecycle
// commands; src/cli/fast-main.ts), both made by scripts/bundle.js, with the
// node recorded in dist/node-path (scripts/build-code-cache.js), and the stamp
// bin/tsrun checks before it runs node with either blob: dist/tsrun.blob.stamp
// (written when both blobs are) holds that node's path, this
// dist directory and the CPU's features as the kernel lists them
// (/sys/devices/system/cpu/modalias: V8's cache tag holds the features it
// uses, so a blob built here fails on a CPU without them, e.g. the test VM's),
// and carries the node binary's mtime. Node refuses a
// blob made by another node binary or with other V8 flags before any JS runs,
// so the launcher must know first: on a mismatch it takes the code-cache
// path (dist/tsrun-launch.cjs) and says to run this again.
//
// The blob is code that root runs: it is written here, in the package, mode
// 0644, and read from nowhere else.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const node = fs.readFileSync(path.join(dist, 'node-path'), 'utf8').trim();
const stamp = path.join(dist, 'tsrun.blob.stamp');
// Each blob and the entry it is built from.
const blobs = { 'tsrun.blob': 'tsrun-snapshot.cjs', 'tsrun-fast.blob': 'tsrun-fast-snapshot.cjs' };
if (dist.includes('\n')) throw new Error(`build-snapshot: cannot record the directory ${JSON.stringify(dist)} in a one-line stamp`);

fs.rmSync(stamp, { force: true });
for (const name of Object.keys(blobs)) fs.rmSync(path.join(dist, name), { force: true });
for (const [name, entryName] of Object.entries(blobs)) {
  const blob = path.join(dist, name);
  const entry = path.join(dist, entryName);
  // The flags here are the flags bin/tsrun runs node with: none but the blob.
  // An empty environment: NODE_OPTIONS would add V8 flags the blob then needs.
  const built = spawnSync(node, ['--snapshot-blob', blob, '--build-snapshot', entry], { env: {}, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`build-snapshot: ${node} --build-snapshot ${entry} failed (${built.status ?? built.signal})`);
  fs.chmodSync(blob, 0o644);

  // The blob runs as the launcher will run it, or the build fails.
  const version = spawnSync(node, ['--snapshot-blob', blob, path.join(dist, 'tsrun.cjs'), '--version'], { env: {}, encoding: 'utf8' });
  if (version.status !== 0 || !version.stdout.startsWith('tsrun version ')) {
    throw new Error(`build-snapshot: ${blob} does not run: ${version.stderr || version.stdout}`);
  }
}

let cpu = '';
try { cpu = fs.readFileSync('/sys/devices/system/cpu/modalias', 'utf8').split('\n')[0]; } catch { /* no such file: the launcher reads '' too */ }
fs.writeFileSync(stamp, `${node}\n${dist}\n${cpu}\n`, { mode: 0o644 });
// The stamp's mtime is the node binary's, to the nanosecond as stat gives it:
// touch -r copies it exactly (utimes from JS would round it).
const touched = spawnSync('touch', ['-r', node, stamp], { stdio: 'inherit' });
if (touched.status !== 0) throw new Error(`build-snapshot: touch -r ${node} ${stamp} failed`);
console.log(`build-snapshot: ${Object.keys(blobs).map((name) => `${name} ${Math.round(fs.statSync(path.join(dist, name)).size / 1024)} kB`).join(', ')}`);
