// Idmapped mounts, runtime-spec config.md "Mounts" (uidMappings, gidMappings;
// the idmap and ridmap options), as runc >= 1.2 does them for bind mounts.
// containerID is the id on disk, hostID the id it shows as through the mount.
// runc 1.1.5 has none of this: the kernel's view (stat on both sides) is the reference.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId, type ConfigPatch } from '../test/integration/harness.js';
import { idmappedMountsWork } from '../src/runtime/host.js';

const skip = skipUnlessRoot || (!idmappedMountsWork() && 'the kernel has no idmapped mounts (Linux 5.12+)');

describe('config.md "Mounts": uidMappings and gidMappings make an idmapped bind mount', { skip }, () => {
  let rt: Runtime;
  let dir: string;
  before(() => {
    rt = new Runtime();
    // On the test's own filesystem (ext4 or tmpfs here; both can be idmapped on 6.x).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-idmap-'));
    fs.chmodSync(dir, 0o755);
  });
  after(() => {
    rt.cleanup();
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(dir), `a mount under ${dir} was left behind`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const share = (name: string): string => {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { mode: 0o777 });
    fs.chmodSync(d, 0o777);
    return d;
  };
  const bindWith = (source: string, mount: Record<string, unknown>): ConfigPatch => (c) => {
    c.mounts.push({ destination: '/data', type: 'bind', source, options: ['bind'], ...mount });
  };
  const run = (script: string, patch: ConfigPatch) => rt.run(['run', '-b', makeBundle(['sh', '-c', script], patch), uniqueId('idmap')]);
  const map = (containerID: number, hostID: number, size = 1) => [{ containerID, hostID, size }];

  test('{containerID: 1000, hostID: 0}: a file of uid 1000 on disk is root\'s in the container, and root\'s new file lands as 1000', () => {
    const src = share('a');
    // The directory too: the kernel refuses writes into one whose owner the mount does not map.
    fs.chownSync(src, 1000, 1000);
    fs.writeFileSync(path.join(src, 'owned'), 'x');
    fs.chownSync(path.join(src, 'owned'), 1000, 1000);
    const r = run('stat -c %u:%g /data/owned && touch /data/new && stat -c %u:%g /data/new', bindWith(src, { uidMappings: map(1000, 0), gidMappings: map(1000, 0) }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '0:0\n0:0\n');
    const st = fs.statSync(path.join(src, 'new'));
    assert.deepEqual([st.uid, st.gid], [1000, 1000], 'the container\'s root wrote the file as 1000 on the host');
  });

  test('runc\'s case: {containerID: 0, hostID: 100000} shows a root-owned file as 100000 (container without a user namespace)', () => {
    const src = share('b');
    fs.writeFileSync(path.join(src, 'rootfile'), 'x');
    const r = run('stat -c %u:%g /data/rootfile', bindWith(src, { uidMappings: map(0, 100000, 65536), gidMappings: map(0, 100000, 65536) }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '100000:100000\n');
  });

  test('uid and gid maps apply separately; the mount is only idmapped at its destination', () => {
    const src = share('c');
    fs.writeFileSync(path.join(src, 'f'), 'x');
    fs.chownSync(path.join(src, 'f'), 2000, 3000);
    const r = run('stat -c %u:%g /data/f', bindWith(src, { uidMappings: map(2000, 20), gidMappings: map(3000, 30) }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '20:30\n');
    const st = fs.statSync(path.join(src, 'f'));
    assert.deepEqual([st.uid, st.gid], [2000, 3000], 'the host still sees the ids on disk');
  });

  test('a bare "idmap" option takes the container\'s own user-namespace maps', () => {
    const src = share('d');
    fs.writeFileSync(path.join(src, 'rootfile'), 'x');
    const r = run('stat -c %u:%g /data/rootfile', (c) => {
      bindWith(src, { options: ['bind', 'idmap'] })(c);
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = map(0, 100000, 65536);
      c.linux.gidMappings = map(0, 100000, 65536);
      c.root.readonly = true;
    });
    assert.equal(r.code, 0, r.stderr);
    // On disk 0 shows as host 100000 through the mount, which is the container's root.
    assert.equal(r.stdout, '0:0\n');
  });

  test('only one of the maps: refused naming the missing one, nothing left', () => {
    const src = share('e');
    const r = run('true', bindWith(src, { uidMappings: map(1000, 0) }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/mounts\/3\/gidMappings: an idmapped mount needs both uidMappings and gidMappings/);
    assert.deepEqual(rt.ids(), []);
  });

  test('a mount that is not a bind mount: refused, as runc does', () => {
    const r = run('true', (c) => c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', uidMappings: map(0, 1000), gidMappings: map(0, 1000) }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/mounts\/3\/type: an idmapped mount must be a bind mount/);
    assert.deepEqual(rt.ids(), []);
  });

  test('a filesystem that cannot be idmapped (sysfs): an explained error, nothing left', () => {
    const r = run('true', bindWith('/sys/kernel', { uidMappings: map(0, 1000), gidMappings: map(0, 1000) }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/mounts\/3.*this filesystem cannot be idmapped/);
    assert.deepEqual(rt.ids(), []);
  });
});
