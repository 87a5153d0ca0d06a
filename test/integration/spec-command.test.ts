// `tsrun spec`: the default config is runc's shape, has terminal: true, and
// tsrun runs it (and its --rootless variant) as written, on a busybox rootfs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxRootfs, Runtime, skipUnlessRoot, uniqueId } from './harness.js';

describe('tsrun spec', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const dirs: string[] = [];
  after(() => {
    rt.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  /** A bundle made by `tsrun spec [extra]`, with the busybox rootfs; returns its dir and config. */
  const specBundle = (extra: string[] = []) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-spec-'));
    dirs.push(dir);
    const r = rt.run(['spec', '--bundle', dir, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    fs.symlinkSync(busyboxRootfs(), path.join(dir, 'rootfs'));
    return { dir, config: JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) };
  };

  test('writes a default config with terminal: true and runc\'s layout; refuses to overwrite one', () => {
    const { dir, config } = specBundle();
    assert.equal(config.ociVersion, '1.3.0');
    assert.equal(config.process.terminal, true);
    assert.deepEqual(config.process.args, ['sh']);
    assert.equal(config.root.path, 'rootfs');
    assert.deepEqual(config.linux.namespaces.map((n: { type: string }) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount']);
    const again = rt.run(['spec', '--bundle', dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /File config.json exists. Remove it first./);
  });

  test('tsrun runs the default config as written (its terminal relayed in the foreground)', () => {
    const { dir, config } = specBundle();
    config.process.args = ['sh', '-c', 'tty; hostname; grep CapEff /proc/self/status'];
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const r = rt.run(['run', '--bundle', dir, uniqueId('spec')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '/dev/pts/0\r\ntsrun\r\nCapEff:\t0000000020000420\r\n');
  });

  test('--rootless: a user namespace mapping root to the caller, and it runs', () => {
    const { dir, config } = specBundle(['--rootless']);
    assert.ok(config.linux.namespaces.some((n: { type: string }) => n.type === 'user'));
    assert.deepEqual(config.linux.uidMappings, [{ containerID: 0, hostID: process.getuid!(), size: 1 }]);
    config.process.terminal = false;
    config.process.args = ['cat', '/proc/self/uid_map'];
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const r = rt.run(['run', '--bundle', dir, uniqueId('spec')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split(/\s+/), ['0', String(process.getuid!()), '1']);
  });
});
