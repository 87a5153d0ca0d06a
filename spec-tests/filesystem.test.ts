// runtime-spec config-linux.md "Masked Paths", "Readonly Paths" and "Sysctl"
// on real containers, with runc as the reference, and the 2025 runc CVE
// classes that attack them:
//   CVE-2025-31133: /dev/null, used to mask files, is replaced by a symlink,
//     so the "mask" bind-mounts something writable instead;
//   CVE-2025-52881: a mount over a /proc file redirects the runtime's write
//     (a sysctl here) to somewhere else.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxRootfs, hasRunc, makeBundle, Runtime, skipUnlessRoot, uniqueId, type ConfigPatch, type Result } from '../test/integration/harness.js';

describe('config-linux.md masked and readonly paths, sysctl', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const runc = hasRunc ? new Runtime('runc', 'runc-test-root-') : undefined;
  const dirs: string[] = [];
  after(() => {
    rt.cleanup();
    runc?.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const run = (args: string[], patch?: ConfigPatch, on: Runtime = rt): Result =>
    on.run(['run', '--bundle', makeBundle(args, patch), uniqueId('fs')]);
  const both = (args: string[], patch: ConfigPatch): string => {
    const r = run(args, patch);
    assert.equal(r.code, 0, r.stderr);
    if (runc) assert.equal(run(args, patch, runc).stdout, r.stdout, 'runc prints the same');
    return r.stdout;
  };

  test('config-linux.md "Masked Paths": a file reads empty, a directory is empty, a missing path is skipped', () => {
    const out = both(['sh', '-c', 'wc -c < /proc/keys; ls -A /proc/acpi | wc -l; echo x > /proc/keys 2>/dev/null; echo ok'], (c) => {
      c.linux.maskedPaths = ['/proc/keys', '/proc/acpi', '/proc/no-such-thing'];
    });
    assert.equal(out, '0\n0\nok\n');
  });

  test('config-linux.md "Readonly Paths": writes fail with EROFS; the rest of /proc stays writable', () => {
    const out = both(['sh', '-c', '(echo 1 > /proc/sys/net/ipv4/ip_forward) 2>&1 | sed "s/.*: //"; echo 7 > /proc/self/oom_score_adj && echo writable'], (c) => {
      c.linux.readonlyPaths = ['/proc/sys', '/proc/no-such-thing'];
    });
    assert.equal(out, 'Read-only file system\nwritable\n');
  });

  test('config-linux.md "Sysctl": namespaced keys are set inside the container only', () => {
    const before = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const out = both(['cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmni', '/proc/sys/fs/mqueue/msg_max'], (c) => {
      c.linux.sysctl = { 'net.ipv4.ip_forward': before.trim() === '1' ? '0' : '1', 'kernel.shmmni': '1234', 'fs/mqueue/msg_max': '17' };
    });
    assert.deepEqual(out.trim().split('\n'), [before.trim() === '1' ? '0' : '1', '1234', '17']);
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), before, 'the host is unchanged');
  });

  test('config-linux.md "Sysctl": a key that is not namespaced, or whose namespace is the host\'s, is refused with the reason', () => {
    let r = run(['true'], (c) => (c.linux.sysctl = { 'vm.swappiness': '10' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config.json: \/linux\/sysctl\/vm.swappiness: vm.swappiness is not namespaced: setting it would change the whole host/);
    r = run(['true'], (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /net.ipv4.ip_forward belongs to the network namespace, and the container shares the host's; add /);
    assert.deepEqual(rt.ids(), []);
  });

  test('CVE-2025-52881 class: a sysctl write is not redirected by a mount over /proc/sys', () => {
    // The config mounts a tmpfs over /proc/sys/net: a naive write of
    // net.ipv4.ip_forward would land in that tmpfs (or wherever it points).
    const r = run(['true'], (c) => {
      c.mounts.push({ destination: '/proc/sys/net', type: 'tmpfs', source: 'tmpfs' });
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    assert.equal(r.code, 1, 'create must fail rather than write through the mount');
    assert.match(r.stderr, /\/linux\/sysctl\/net.ipv4.ip_forward: cannot open \/proc\/sys\/net\/ipv4\/ip_forward: /);
    assert.deepEqual(rt.ids(), []);
  });

  test('CVE-2025-31133 class: a /dev/null that is a symlink is never used to mask', () => {
    // A rootfs of its own whose /dev/null points at a file masking would make writable.
    const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-devnull-'));
    dirs.push(rootfs);
    fs.chmodSync(rootfs, 0o755);
    assert.equal(spawnSync('cp', ['-a', `${busyboxRootfs()}/.`, rootfs]).status, 0);
    fs.mkdirSync(path.join(rootfs, 'dev'), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(rootfs, 'dev', 'null'));
    const r = run(['true'], (c) => {
      c.root.path = rootfs;
      c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/dev');
      c.linux.maskedPaths = ['/proc/keys'];
    });
    assert.equal(r.code, 1, 'create must refuse to mask with a symlink');
    assert.match(r.stderr, /\/linux\/maskedPaths: \/dev\/null is not the null device/);
    assert.deepEqual(rt.ids(), []);
  });
});
