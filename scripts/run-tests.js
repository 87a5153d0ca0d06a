#!/usr/bin/env node
// `npm test`: the unit tests always; as root, the integration tests and the
// spec-tests too (they run real containers). Builds nothing: run `npm install`
// (or `npm run build`) first.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

function testFiles(dir) {
  const abs = path.join(dist, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => path.join(abs, f))
    .sort();
}

const files = [...testFiles('test/unit')];
if (process.getuid() === 0) {
  files.push(...testFiles('test/integration'), ...testFiles('spec-tests'), ...testFiles('test/engines'));
} else {
  console.log('# not root: integration tests and spec-tests skipped (they run real containers)');
  files.push(...testFiles('spec-tests').filter((f) => f.includes('schema-agreement')));
}
if (files.length === 0) {
  console.error('no compiled tests under dist/: run `npm run build:ts` first');
  process.exit(1);
}
// The host CRIU test files skip when CRIU cannot checkpoint and restore runc's
// container on this kernel (test/integration/criu-probe.ts): asked once here,
// the answer goes to each of them in the environment.
const env = { ...process.env };
if (files.some((f) => /\/test\/(integration|engines)\/[^/]*checkpoint[^/]*\.test\.js$/.test(f))) {
  const probe = await import(pathToFileURL(path.join(dist, 'test', 'integration', 'criu-probe.js')).href);
  const criu = probe.findCriu();
  if (criu) {
    const started = Date.now();
    try {
      const result = await probe.probeCriu(criu);
      env[probe.PROBE_ENV] = probe.encodeProbe(criu, result);
      console.log(`# CRIU probe (${Date.now() - started} ms): ${result || 'runc checkpoints and restores a container here'}`);
    } catch (e) {
      // The probe could not even start (no busybox for its rootfs, say): each file probes, and fails, for itself.
      console.log(`# CRIU probe failed to run: ${e.message.split('\n')[0]}`);
    }
  }
}
const extra = process.argv.slice(2);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...extra, ...files], { stdio: 'inherit', cwd: root, env });
process.exit(r.status ?? 1);
