// The example bundles in bundles/ run as their README says, under tsrun and
// (as the reference) runc, on the shared busybox rootfs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxRootfs, repoRoot, sideBySide, skipUnlessRoot, uniqueId } from './harness.js';

/** A temp bundle with bundles/<name>/config.json, its rootfs pointed at the shared one. */
function exampleBundle(name: string): string {
  const config = JSON.parse(fs.readFileSync(path.join(repoRoot, 'bundles', name, 'config.json'), 'utf8'));
  config.root.path = busyboxRootfs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-example-${name}-`));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('bundles/', { skip: skipUnlessRoot }, () => {
  const { rt, runc, dirs, cleanup } = sideBySide();
  after(cleanup);

  test('confined: docker-like capabilities, rlimits, no_new_privs and a ~300-rule seccomp allowlist', () => {
    const bundle = exampleBundle('confined');
    dirs.push(bundle);
    const r = rt.run(['run', '--bundle', bundle, uniqueId('confined')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      'uid: 0',
      'CapEff:\t00000000a80425fb',
      'NoNewPrivs:\t1',
      'Seccomp:\t2',
      'Seccomp_filters:\t1',
      'nofile: 1024',
      'mount: refused',
      'unshare: refused',
      'hi',
      '',
    ].join('\n'));
    if (runc) assert.equal(runc.run(['run', '--bundle', bundle, uniqueId('confined')]).stdout, r.stdout, 'runc prints the same');
  });

  test('hello: the greeting, its hostname and pid 1', () => {
    const bundle = exampleBundle('hello');
    dirs.push(bundle);
    const r = rt.run(['run', '--bundle', bundle, uniqueId('hello')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Hello from tsrun!\nhostname: tsrun-hello\npid: 1\n');
  });

  test('overlay: the rootfs is an overlay mount on /; writes land in upper/, the lower layer stays as it was', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-example-overlay-'));
    dirs.push(dir);
    for (const d of ['upper', 'work', 'rootfs']) fs.mkdirSync(path.join(dir, d));
    const config = JSON.parse(fs.readFileSync(path.join(repoRoot, 'bundles', 'overlay', 'config.json'), 'utf8'));
    // The shared busybox rootfs is the lower layer (absolute); upper and work stay bundle-relative.
    config.mounts[0].options = config.mounts[0].options.map((o: string) => (o === 'lowerdir=lower' ? `lowerdir=${busyboxRootfs()}` : o));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const r = rt.run(['run', '--bundle', dir, uniqueId('overlay')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'lower: /bin/busybox\nwritten in the container\noverlay\n');
    assert.equal(fs.readFileSync(path.join(dir, 'upper', 'hello.txt'), 'utf8'), 'written in the container\n');
    assert.ok(!fs.existsSync(path.join(busyboxRootfs(), 'hello.txt')), 'the lower layer was written');
    // Nothing stays mounted on the bundle's rootfs.
    assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(dir));
  });
});
