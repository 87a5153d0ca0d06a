// tsrun as a user installs it: `npm pack`, the tarball installed into a new
// project offline (the dependencies come from this checkout's production
// node_modules; cmake-js builds the addon with the installed node headers,
// downloading nothing), then every example of docs/library.md type-checked
// against the installed types (by package name, `from 'tsrun'`) and run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxRootfs, codeCacheTaken, repoRoot, skipUnlessRoot, tsrunBin } from './harness.js';

function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}\n${r.error ?? ''}`);
  return r.stdout;
}

/** The ```ts blocks of docs/library.md, in order. */
function examples(): string[] {
  const text = fs.readFileSync(path.join(repoRoot, 'docs', 'library.md'), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

// What each example prints, in order (docs/library.md says the same in its comments).
const EXPECTED: RegExp[][] = [
  [/^hello from docs-example$/m, /^exit status 3$/m],
  [/^stdout SHOUT THIS\nstderr done\nexit 2 null$/m],
  [/^created\nrunning\n5\n0\ncontainer not running\ntrue\npids \d+\ngone$/m],
  [/^error \/mounts\/0\/source: the bind mount's source \/no\/such\/dir does not exist/m, /^error \/hooks\/prestart\/0\/path: \/no\/such\/hook does not exist/m, /^create would fail$/m],
];

test('npm pack, installed offline into a project: docs/library.md type-checks against the installed types and runs', { skip: skipUnlessRoot, timeout: 900_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-pack-'));
  const docsRoot = '/run/tsrun-docs';
  try {
    sh('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], repoRoot);
    const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack made no tarball');

    // The project: the production dependencies a registry would give it, copied from here.
    const proj = path.join(tmp, 'proj');
    fs.mkdirSync(path.join(proj, 'node_modules'), { recursive: true });
    fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'uses-tsrun', version: '1.0.0', private: true, type: 'module' }));
    const prod = sh('npm', ['ls', '--omit=dev', '--all', '--parseable'], repoRoot).split('\n').map((p) => path.relative(repoRoot, p));
    for (const rel of prod.filter((p) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p))) {
      fs.cpSync(path.join(repoRoot, rel), path.join(proj, rel), { recursive: true });
    }
    sh('npm', ['install', '--offline', '--foreground-scripts', path.join(tmp, tarball)], proj);
    const installed = path.join(proj, 'node_modules', 'tsrun');
    assert.ok(fs.existsSync(path.join(installed, 'build', 'Release', 'tsrun_native.node')), 'the install script built no addon');
    assert.ok(fs.existsSync(path.join(installed, 'build', 'Release', 'tsrun-init')), 'the install script built no tsrun-init');
    assert.ok(!fs.existsSync(path.join(proj, 'node_modules', 'typescript')), 'a devDependency came along');
    // The install step made the code caches and node-path for the installing node: V8 takes each bundle's cache.
    assert.equal(fs.readFileSync(path.join(installed, 'dist', 'node-path'), 'utf8').trim(), process.execPath);
    for (const name of ['tsrun', 'tsrun-lite', 'tsrun-fast', 'tsrun-create']) {
      const cache = codeCacheTaken(process.execPath, path.join(installed, 'dist', `${name}.cjs`));
      assert.ok(cache.taken, `the installed ${name}.cjs's code cache was rejected: ${cache.why}`);
    }
    const version = spawnSync(path.join(installed, 'bin', 'tsrun'), ['--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stderr, '');
    // npm's .bin link reaches the launcher the install step built, which finds its dist through the link.
    const viaBin = spawnSync(path.join(proj, 'node_modules', '.bin', 'tsrun'), ['--version'], { encoding: 'utf8' });
    assert.equal(viaBin.status, 0, viaBin.stderr);
    assert.equal(viaBin.stderr, '');
    assert.match(viaBin.stdout, /^tsrun version /);

    const blocks = examples();
    assert.equal(blocks.length, EXPECTED.length, 'docs/library.md has another number of examples than this test expects');
    blocks.forEach((code, i) => fs.writeFileSync(path.join(proj, `example${i + 1}.ts`), code));
    fs.writeFileSync(path.join(proj, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false,
        types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
      },
      include: ['example*.ts'],
    }));
    sh(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], proj);
    // A mistyped field is caught by the installed types: the check can fail.
    fs.writeFileSync(path.join(proj, 'example-wrong.ts'), "import type { Config } from 'tsrun';\nexport const c: Config = { ociVersion: '1.2.0', process: { args: ['x'], cwd: 1 } };\n");
    const wrong = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules', '@types'), 'example-wrong.ts'], { cwd: proj, encoding: 'utf8' });
    assert.notEqual(wrong.status, 0, 'a config with cwd: 1 type-checked');
    assert.match(wrong.stdout, /example-wrong\.ts.*cwd|Type 'number' is not assignable to type 'string'/s);

    const rootfs = busyboxRootfs();
    blocks.forEach((_, i) => {
      const out = sh(process.execPath, [path.join(proj, 'out', `example${i + 1}.js`), rootfs], proj, 60_000);
      for (const want of EXPECTED[i]) assert.match(out, want, `example ${i + 1} printed:\n${out}`);
    });
    assert.deepEqual(fs.existsSync(docsRoot) ? fs.readdirSync(docsRoot) : [], [], 'an example left a container');
  } finally {
    // An example that failed midway may leave a container: removed as the CLI removes them.
    for (const id of fs.existsSync(docsRoot) ? fs.readdirSync(docsRoot) : []) spawnSync(tsrunBin, ['--root', docsRoot, 'delete', '--force', id]);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(docsRoot, { recursive: true, force: true });
  }
});
