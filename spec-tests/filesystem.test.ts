// runtime-spec config-linux.md "Masked Paths", "Readonly Paths" and "Sysctl"
// on real containers, with runc as the reference, and the 2025 runc CVE
// classes that attack them:
//   CVE-2025-31133: /dev/null, used to mask files, is replaced by a symlink,
//     so the "mask" bind-mounts something writable instead;
//   CVE-2025-52881: a mount over a /proc file redirects the runtime's write
//     (a sysctl here) to somewhere else.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxRootfs, makeBundle, Runtime, sideBySide, skipUnlessRoot, uniqueId, type ConfigPatch, type Result } from '../test/integration/harness.js';

describe('config-linux.md masked and readonly paths, sysctl', { skip: skipUnlessRoot }, () => {
  const { rt, runc, dirs, cleanup } = sideBySide();
  after(cleanup);
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

  test('config.md "Mounts" recursive options: rro makes every submount read-only, where ro leaves them writable', () => {
    // A host dir with a tmpfs submount, bind-mounted recursively into the container.
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-rro-'));
    dirs.push(top);
    fs.mkdirSync(path.join(top, 'sub'));
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(top, 'sub')]).status, 0);
    try {
      const probe = ['sh', '-c', 'touch /var/a 2>/dev/null && echo top-rw || echo top-ro; touch /var/sub/b 2>/dev/null && echo sub-rw || echo sub-ro'];
      const bind = (options: string[]): ConfigPatch => (c) => c.mounts.push({ destination: '/var', type: 'bind', source: top, options });
      assert.equal(both(probe, bind(['rbind', 'ro'])), 'top-ro\nsub-rw\n');
      const r = run(probe, bind(['rbind', 'rro']));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'top-ro\nsub-ro\n');
      const n = run(['sh', '-c', 'grep " /var/sub " /proc/self/mountinfo | cut -d" " -f6'], bind(['rbind', 'rnosuid', 'rnoexec', 'rnoatime']));
      assert.match(n.stdout, /nosuid/);
      assert.match(n.stdout, /noexec/);
      assert.match(n.stdout, /noatime/);
    } finally {
      spawnSync('umount', ['-l', path.join(top, 'sub')]);
    }
  });

  test('config-linux.md "Rootfs Mount Propagation": shared and unbindable apply to the container\'s /, and nothing mounts back onto a shared host', () => {
    // The rootfs lives on a host mount that is itself shared: a careless bind would make the container's mounts appear here.
    const host = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-shared-'));
    dirs.push(host);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'tmpfs', host]).status, 0);
    try {
      assert.equal(spawnSync('mount', ['--make-shared', host]).status, 0);
      const rootfs = path.join(host, 'rootfs');
      fs.mkdirSync(rootfs);
      assert.equal(spawnSync('cp', ['-a', `${busyboxRootfs()}/.`, rootfs]).status, 0);
      for (const [p, tag] of [['shared', /shared:\d+/], ['unbindable', /unbindable/], ['private', /^((?!shared|master|unbindable).)*$/]] as const) {
        const id = uniqueId('prop');
        const created = rt.run(['create', '--bundle', makeBundle(['true'], (c) => {
          c.root.path = rootfs;
          c.linux.rootfsPropagation = p;
        }), id]);
        assert.equal(created.code, 0, created.stderr);
        const leaked = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(`${rootfs}/`));
        assert.deepEqual(leaked, [], `${p}: the container's mounts showed up on the host`);
        rt.run(['delete', '--force', id]);
        const r = run(['awk', '$5 == "/" { $1 = $2 = $3 = $4 = $5 = $6 = ""; print }', '/proc/self/mountinfo'], (c) => {
          c.root.path = rootfs;
          c.linux.rootfsPropagation = p;
        });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.split(' - ')[0], tag, `${p}: ${r.stdout}`);
      }
    } finally {
      spawnSync('umount', ['-l', host]);
    }
  });

  test('config.md "Mounts" and CVE-2021-30465: a destination raced into a symlink never mounts outside the rootfs', () => {
    // The canary is a shared host mount and the container's / is shared too:
    // anything mounted onto the canary from the container's namespace would
    // propagate back and show up in the host's mountinfo.
    const canary = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-canary-'));
    const volume = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-volume-'));
    dirs.push(canary, volume);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'canary', canary]).status, 0);
    let racer: ReturnType<typeof spawn> | undefined;
    try {
      assert.equal(spawnSync('mount', ['--make-shared', canary]).status, 0);
      const src = path.join(volume, '..', `${path.basename(volume)}-racer.c`);
      const bin = path.join(volume, '..', `${path.basename(volume)}-racer`);
      fs.writeFileSync(src, '#define _GNU_SOURCE\n#include <fcntl.h>\n#include <stdio.h>\n#include <unistd.h>\n' +
        'int main(int c, char **v) { if (chdir(v[1])) return 1; for (;;) renameat2(AT_FDCWD, "t", AT_FDCWD, "alt", RENAME_EXCHANGE); }\n');
      const cc = spawnSync('cc', ['-O2', '-o', bin, src], { encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
      dirs.push(src, bin);
      fs.mkdirSync(path.join(volume, 't'));
      fs.symlinkSync(canary, path.join(volume, 'alt'));
      racer = spawn(bin, [volume], { stdio: 'ignore' });
      const countOnCanary = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(canary)).length;
      assert.equal(countOnCanary(), 1);
      let mounted = 0;
      for (let i = 0; i < 40; i++) {
        const r = run(['true'], (c) => {
          c.linux.rootfsPropagation = 'shared';
          c.mounts.push({ destination: '/v', type: 'bind', source: volume, options: ['rbind'] });
          c.mounts.push({ destination: '/v/t', type: 'tmpfs', source: 'raced' });
        });
        if (r.code === 0) mounted++;
        assert.equal(countOnCanary(), 1, `round ${i}: a mount landed on the host's ${canary}`);
      }
      assert.ok(mounted > 0, 'no round got through: the race never let a mount happen');
    } finally {
      racer?.kill('SIGKILL');
      spawnSync('umount', ['-R', '-l', canary]);
    }
  });
});
