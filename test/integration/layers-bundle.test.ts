// bundles/layers: an OCI image of two layers unpacked into overlayfs layer
// directories (whiteouts translated, extraction confined), containers whose
// root is an overlay of them (copy-on-write), and commit of a container's
// writes as a new layer that a later container stacks on top.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, assertNothingLeft, repoRoot, skipUnlessRoot, uniqueId } from './harness.js';

const layersDir = path.join(repoRoot, 'bundles', 'layers');

function tool(name: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(path.join(layersDir, name), args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(name: string, args: string[]): string {
  const r = tool(name, args);
  assert.equal(r.code, 0, `${name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The tar entries of a layer tarball (names, with the type letter of `tar tv`). */
function tarEntries(tar: string): string[] {
  const r = spawnSync('tar', ['tvf', tar], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => `${l[0]} ${l.split(/\s+/).slice(5).join(' ')}`);
}

function isWhiteout(p: string): boolean {
  const st = fs.lstatSync(p);
  return st.isCharacterDevice() && st.rdev === 0;
}

const skip = skipUnlessRoot || (spawnSync('python3', ['--version']).status !== 0 ? 'python3 missing (the layer tools are python scripts)' : false);

describe('bundles/layers: image layers on overlay, copy-on-write and commit', { skip }, () => {
  let rt: Runtime;
  let work: string;
  let image: string;
  let layers: string;
  const bundles: string[] = [];

  before(() => {
    rt = new Runtime();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-layers-test-'));
    image = path.join(work, 'image');
    layers = path.join(work, 'layers');
    ok('build-image', [image]);
  });
  after(() => {
    try {
      rt.cleanup();
      assertNothingLeft(rt, bundles);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  function bundle(args: string[], addLayers: string[] = []): string {
    const dir = fs.mkdtempSync(path.join(work, 'bundle-'));
    bundles.push(dir);
    ok('make-bundle', [dir, '--image', image, '--layers-dir', layers, ...addLayers.flatMap((l) => ['--add-layer', l]), '--', ...args]);
    return dir;
  }

  function run(dir: string): string {
    const r = rt.run(['run', '--bundle', dir, uniqueId('layers')]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  /** The unpacked layer dirs, bottom first, as make-bundle stacked them. */
  function layerDirs(dir: string): string[] {
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const lower = config.mounts[0].options.find((o: string) => o.startsWith('lowerdir=')).slice('lowerdir='.length);
    return lower.split(':').reverse();
  }

  test('the image layout: two layers whose blobs match their digests; unpacked with overlay whiteouts', () => {
    const index = JSON.parse(fs.readFileSync(path.join(image, 'index.json'), 'utf8'));
    const blob = (d: string) => path.join(image, 'blobs', 'sha256', d.slice('sha256:'.length));
    const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8'));
    assert.equal(manifest.layers.length, 2);
    const top = tarEntries(blob(manifest.layers[1].digest));
    assert.ok(top.includes('- bin/.wh.vi') && top.includes('- var/log/.wh..wh..opq') && top.includes('- etc/motd'), top.join('\n'));
    const dir = bundle(['true']);
    const [base, second] = layerDirs(dir);
    assert.ok(fs.lstatSync(path.join(base, 'bin', 'vi')).isSymbolicLink(), 'the base layer has /bin/vi');
    assert.ok(isWhiteout(path.join(second, 'bin', 'vi')), 'layer 2 has a 0:0 char device for .wh.vi');
    const opaque = spawnSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode(), end="")', path.join(second, 'var', 'log')], { encoding: 'utf8' });
    assert.equal(opaque.stdout, 'y', `layer 2's /var/log is opaque: ${opaque.stderr}`);
    assert.ok(!fs.existsSync(path.join(second, 'var', 'log', '.wh..wh..opq')));
  });

  test('the root is an overlay of 2 lower layers; the layers show through (motd added, vi deleted)', () => {
    const out = run(bundle(['/bin/sh', '-c', 'cat /etc/motd; ls /bin/vi 2>&1; grep " / " /proc/self/mountinfo']));
    assert.match(out, /Hello from layer 2/);
    assert.match(out, /\/bin\/vi: No such file/);
    const lower = /lowerdir=([^,\s]+)/.exec(out)?.[1];
    assert.ok(lower && lower.split(':').length >= 2, `an overlay root with >= 2 lowerdirs: ${out}`);
  });

  test('copy-on-write: a write in one container is not seen by another nor in the layers; a delete is a whiteout in upper', () => {
    const a = bundle(['/bin/sh', '-c', 'echo changed-by-a > /etc/motd; rm /bin/cat; echo new > /only-in-a; cat /etc/motd; ls /bin/cat 2>&1; true']);
    const b = bundle(['/bin/sh', '-c', 'cat /etc/motd; ls /bin/cat /only-in-a 2>&1; true']);
    const outA = run(a);
    assert.match(outA, /changed-by-a/);
    assert.match(outA, /\/bin\/cat: No such file/);
    const outB = run(b);
    assert.match(outB, /Hello from layer 2/);
    assert.match(outB, /^\/bin\/cat$/m);
    assert.match(outB, /\/only-in-a: No such file/);
    const [base, second] = layerDirs(a);
    assert.match(fs.readFileSync(path.join(second, 'etc', 'motd'), 'utf8'), /Hello from layer 2/);
    assert.ok(fs.lstatSync(path.join(base, 'bin', 'cat')).isSymbolicLink(), 'the lower layer still has /bin/cat');
    assert.ok(isWhiteout(path.join(a, 'upper', 'bin', 'cat')), "a's upper has a whiteout for /bin/cat");
    assert.equal(fs.readFileSync(path.join(a, 'upper', 'etc', 'motd'), 'utf8'), 'changed-by-a\n');
    assert.ok(!fs.existsSync(path.join(b, 'upper', 'only-in-a')));
  });

  test('commit: the upperdir becomes a layer with .wh. entries; a container on the old layers plus it sees the changes', () => {
    const a = bundle(['/bin/sh', '-c', 'echo committed > /etc/motd; rm /bin/cat; rm -rf /var/log; mkdir /var/log; echo fresh > /var/log/new.log']);
    run(a);
    const tar = path.join(work, 'new-layer.tar');
    const digest = ok('commit', [a, tar]).trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const entries = tarEntries(tar);
    for (const e of ['- etc/motd', '- bin/.wh.cat', 'd var/log/', '- var/log/.wh..wh..opq', '- var/log/new.log']) {
      assert.ok(entries.includes(e), `${e} in the committed layer:\n${entries.join('\n')}`);
    }
    assert.ok(!entries.some((e) => e.startsWith('c ')), 'no char device is left in the layer');
    const c = bundle(['/bin/sh', '-c', 'cat /etc/motd; ls /bin/cat 2>&1; ls /var/log; grep " / " /proc/self/mountinfo | grep -o "lowerdir=[^,]*"'], [tar]);
    const out = run(c);
    assert.match(out, /^committed$/m);
    assert.match(out, /\/bin\/cat: No such file/);
    assert.match(out, /^new\.log$/m);
    assert.ok(!out.includes('layer2.log'), `the opaque /var/log hides layer 2's file: ${out}`);
    assert.equal(/lowerdir=(\S+)/.exec(out)?.[1].split(':').length, 3);
  });

  test('commit refuses a bundle whose root is not an overlay', () => {
    const dir = fs.mkdtempSync(path.join(work, 'plain-'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ root: { path: 'rootfs' }, mounts: [] }));
    const r = tool('commit', [dir, path.join(work, 'x.tar')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no overlay mount on "\/" in \/mounts/);
  });

  describe('extraction is confined to the layer directory', () => {
    /** A tar made by python's tarfile from a list of entries. */
    function evilTar(name: string, entries: object[]): string {
      const file = path.join(work, name);
      const py = `
import io, json, sys, tarfile
with tarfile.open(sys.argv[1], 'w') as t:
    for e in json.loads(sys.argv[2]):
        i = tarfile.TarInfo(e['name'])
        data = e.get('data', '').encode()
        i.type = {'file': tarfile.REGTYPE, 'sym': tarfile.SYMTYPE, 'link': tarfile.LNKTYPE, 'dir': tarfile.DIRTYPE}[e['type']]
        i.linkname = e.get('link', '')
        i.size = len(data) if e['type'] == 'file' else 0
        t.addfile(i, io.BytesIO(data))
`;
      const r = spawnSync('python3', ['-c', py, file, JSON.stringify(entries)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return file;
    }

    const cases: [string, (outside: string) => object[], RegExp][] = [
      ['an absolute name', (o) => [{ name: `${o}/abs`, type: 'file', data: 'x' }], /absolute paths are refused/],
      ['a ".." name', (o) => [{ name: `../../../../../../../..${o}/dotdot`, type: 'file', data: 'x' }], /"\.\." is refused/],
      ['a write through a symlink the archive made', (o) => [{ name: 'evil', type: 'sym', link: o }, { name: 'evil/through', type: 'file', data: 'x' }],
        /evil is not a directory \(a symlink\?\): refusing to write through it/],
      ['a hard link through a symlink the archive made', () => [{ name: 'etc', type: 'sym', link: '/etc' }, { name: 'stolen', type: 'link', link: 'etc/passwd' }],
        /etc is not a directory \(a symlink\?\)/],
    ];
    for (const [what, entries, message] of cases) {
      test(`refuses ${what}, and leaves nothing outside or half-unpacked`, () => {
        const outside = fs.mkdtempSync(path.join(work, 'outside-'));
        const tar = evilTar(`evil-${Math.random().toString(36).slice(2)}.tar`, entries(outside));
        const dir = fs.mkdtempSync(path.join(work, 'evil-bundle-'));
        const r = tool('make-bundle', [dir, '--image', image, '--layers-dir', layers, '--add-layer', tar]);
        assert.notEqual(r.code, 0, 'make-bundle succeeded');
        assert.match(r.stderr, message);
        assert.deepEqual(fs.readdirSync(outside), [], 'something was written outside the layer');
        assert.deepEqual(fs.readdirSync(layers).filter((f) => f.startsWith('.unpacking-')), [], 'a half-unpacked layer was left');
        assert.ok(!fs.existsSync(path.join(dir, 'config.json')));
      });
    }
  });
});
