// runtime-spec config-linux.md "Namespaces" (a namespace joined by path, and
// a type left out, which is inherited from the runtime) with config.md
// "Hostname" and "Mounts", on real containers, with runc as the reference.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { assertNothingLeft, makeBundle, repoRoot, sideBySide, skipUnlessRoot, sleep, uniqueId, type Runtime } from '../test/integration/harness.js';

/** A process in namespaces of its own (`unshare <flags> sleep 1000`), killed by the test. */
function holder(flags: string[], nsName: string): { pid: number; nsPath: string; child: ChildProcess } {
  const child = spawn('unshare', [...flags, 'sleep', '1000'], { stdio: 'ignore' });
  const nsPath = `/proc/${child.pid}/ns/${nsName}`;
  // unshare execs sleep in the same process: wait until it has left our namespace.
  for (let i = 0; i < 250; i++) {
    try {
      if (fs.readlinkSync(nsPath) !== fs.readlinkSync(`/proc/self/ns/${nsName}`)) return { pid: child.pid!, nsPath, child };
    } catch { /* not started yet */ }
    spawnSync('sleep', ['0.02']);
  }
  child.kill('SIGKILL');
  assert.fail(`unshare ${flags.join(' ')} did not make a ${nsName} namespace`);
}

const joinNs = (type: string, nsPath: string) => (c: Record<string, any>) => {
  c.linux.namespaces = c.linux.namespaces.map((ns: { type: string }) => (ns.type === type ? { type, path: nsPath } : ns));
};

describe('config-linux.md "Namespaces": joined by path', { skip: skipUnlessRoot }, () => {
  const { rt, runc, cleanup } = sideBySide();
  const holders: ChildProcess[] = [];
  after(() => {
    for (const h of holders) h.kill('SIGKILL');
    cleanup();
  });
  const runtimes = (): Runtime[] => (runc ? [rt, runc] : [rt]);

  test('config.md "Hostname" and "Domainname" are set in a joined uts namespace, not the host\'s', () => {
    const hostName = os.hostname();
    for (const r of runtimes()) {
      const h = holder(['-u'], 'uts');
      holders.push(h.child);
      const bundle = makeBundle(['sh', '-c', 'hostname; cat /proc/sys/kernel/domainname'], (c) => {
        joinNs('uts', h.nsPath)(c);
        c.hostname = 'joined-host';
        c.domainname = 'joined.example';
      });
      const res = r.run(['run', '--bundle', bundle, uniqueId('uts')]);
      assert.equal(res.code, 0, `${r.bin}: ${res.stderr}`);
      // runc 1.1 has no domainname (it came in 1.2): its line is the kernel's default.
      assert.equal(res.stdout, `joined-host\n${r === rt ? 'joined.example' : '(none)'}\n`, r.bin);
      // The holder sees the names: they were set in its namespace.
      const seen = spawnSync('nsenter', ['-u', '-t', String(h.pid), 'hostname'], { encoding: 'utf8' });
      assert.equal(seen.stdout, 'joined-host\n', `${r.bin}: the holder's hostname`);
      assert.equal(os.hostname(), hostName, `${r.bin} renamed the host`);
      h.child.kill('SIGKILL');
      assertNothingLeft(r, [bundle]);
    }
  });

  test('config.md "Hostname": tsrun\'s own uts namespace joined by path is refused (it would rename the host)', () => {
    const hostName = os.hostname();
    // The test's uts namespace is tsrun's. runc would rename the host here, so only tsrun runs.
    for (const nsPath of [`/proc/${process.pid}/ns/uts`, '/proc/self/ns/uts']) {
      const bundle = makeBundle(['hostname'], joinNs('uts', nsPath));
      const res = rt.run(['run', '--bundle', bundle, uniqueId('utsown')]);
      assert.notEqual(res.code, 0, res.stdout);
      assert.match(res.stderr, /\/hostname: \/linux\/namespaces\/2\/path: \S+ is the host's own uts namespace; setting a hostname there would rename the host/);
      assert.equal(os.hostname(), hostName);
      assertNothingLeft(rt, [bundle]);
    }
    // No uts namespace at all: refused before anything is made (runc: the same).
    const none = makeBundle(['hostname'], (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts')));
    for (const r of runtimes()) {
      const res = r.run(['run', '--bundle', none, uniqueId('utsnone')]);
      assert.notEqual(res.code, 0, `${r.bin} set a hostname without a uts namespace`);
      assert.equal(os.hostname(), hostName);
    }
    assert.match(rt.run(['run', '--bundle', none, uniqueId('utsnone')]).stderr, /\/hostname: setting a hostname needs a uts namespace/);
    assertNothingLeft(rt, [none]);
  });

  test('config-linux.md "Namespaces" mount: the rootfs is prepared and pivoted into inside a joined mount namespace', () => {
    for (const r of runtimes()) {
      const h = holder(['-m', '--propagation', 'private'], 'mnt');
      holders.push(h.child);
      const bundle = makeBundle(['sh', '-c', 'cat /proc/self/mountinfo | wc -l; ls /proc/1/root/bin/busybox; echo ok > /tmp/mark; cat /tmp/mark'], joinNs('mount', h.nsPath));
      const res = r.run(['run', '--bundle', bundle, uniqueId('mnt')]);
      assert.equal(res.code, 0, `${r.bin}: ${res.stderr}`);
      assert.match(res.stdout, /^\d+\n\/proc\/1\/root\/bin\/busybox\nok\n$/, r.bin);
      // pivot_root moved the holder's root too: it now sees the rootfs as /.
      assert.ok(fs.existsSync(`/proc/${h.pid}/root/bin/busybox`), `${r.bin}: the holder's root is not the rootfs`);
      // The container's mounts are the holder's namespace's, never the host's
      // (assertNothingLeft reads ours); they go when it does.
      assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(String(baseRootfs(bundle))), `${r.bin}: a rootfs mount reached the host`);
      h.child.kill('SIGKILL');
      assertNothingLeft(r, [bundle]);
    }
  });

  test('config-linux.md "Namespaces" mount: tsrun\'s own mount namespace joined by path is refused (pivot_root would move the host\'s root)', () => {
    // runc is not run here: it would pivot the whole host into the rootfs.
    for (const nsPath of [`/proc/${process.pid}/ns/mnt`, '/proc/self/ns/mnt']) {
      const bundle = makeBundle(['true'], joinNs('mount', nsPath));
      const res = rt.run(['run', '--bundle', bundle, uniqueId('mntown')]);
      assert.notEqual(res.code, 0, res.stdout);
      assert.match(res.stderr, /\/linux\/namespaces\/1\/path: \S+ is the host's own mount namespace; pivot_root there would move the root of every process on the host/);
      assertNothingLeft(rt, [bundle]);
    }
  });
});

function baseRootfs(bundle: string): string {
  return JSON.parse(fs.readFileSync(`${bundle}/config.json`, 'utf8')).root.path;
}

/** Mount points in our (the host's) mountinfo at or below dir. */
function hostMountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((mp) => mp !== undefined && (mp === dir || mp.startsWith(`${dir}/`)));
}

describe('config-linux.md "Namespaces": no mount namespace, so the runtime\'s is inherited', { skip: skipUnlessRoot }, () => {
  const { rt, runc, dirs, cleanup } = sideBySide();
  after(cleanup);
  // A rootfs of our own: mount points are made in it on disk, on the host.
  let rootfs = '';
  const ownRootfs = (): string => {
    if (!rootfs) {
      rootfs = fs.mkdtempSync(`${os.tmpdir()}/tsrun-nomntns-rootfs-`);
      fs.chmodSync(rootfs, 0o755);
      dirs.push(rootfs);
      const made = spawnSync(`${repoRoot}/bundles/make-busybox-rootfs`, [rootfs], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
    }
    return rootfs;
  };
  const noMountNs = (args: string[], patch?: (c: Record<string, any>) => void) =>
    makeBundle(args, (c) => {
      c.root = { path: ownRootfs(), readonly: false };
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
      patch?.(c);
    });

  test('the mounts are made on the host, the root is a chroot, and delete unmounts them; no device node lands on disk', () => {
    const bundle = noMountNs(['sleep', '1000']);
    const devBefore = fs.readdirSync(`${ownRootfs()}/dev`).sort();
    const id = uniqueId('nomnt');
    const created = rt.run(['run', '-d', '--bundle', bundle, id]);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(hostMountsUnder(rootfs).sort(), [`${rootfs}/dev`, `${rootfs}/proc`, `${rootfs}/tmp`]);
    // exec gets the init's chroot, and sees only the container's mounts.
    const seen = rt.run(['exec', id, 'sh', '-c', 'ls /bin/busybox; ls /dev/null; grep -c . /proc/self/mountinfo']);
    assert.equal(seen.code, 0, seen.stderr);
    assert.equal(seen.stdout, '/bin/busybox\n/dev/null\n3\n');
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
    assert.deepEqual(hostMountsUnder(rootfs), [], 'a mount of the container is left on the host');
    assert.deepEqual(fs.readdirSync(`${rootfs}/dev`).sort(), devBefore, 'something was made on the rootfs\'s disk');
    assertNothingLeft(rt, [bundle]);
  });

  test('config.md "Root" readonly: a bind of the rootfs on the host, read-only, undone by delete', () => {
    const bundle = noMountNs(['sh', '-c', 'touch /x 2>&1 | sed "s/.*: //"; touch /tmp/x && echo tmp-writable; grep -c . /proc/self/mountinfo'], (c) => (c.root.readonly = true));
    const r = rt.run(['run', '--bundle', bundle, uniqueId('nomntro')]);
    assert.equal(r.code, 0, r.stderr);
    // The chroot sees its own mounts only: the rootfs bind and the three of the config.
    assert.equal(r.stdout, 'Read-only file system\ntmp-writable\n4\n');
    assert.deepEqual(hostMountsUnder(rootfs), []);
    assert.ok(!fs.existsSync(`${rootfs}/x`));
    assertNothingLeft(rt, [bundle]);
  });

  test('after a kill -9 of the init, delete still unmounts what the state recorded', () => {
    const bundle = noMountNs(['sleep', '1000']);
    const id = uniqueId('nomntk');
    assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).code, 0);
    process.kill(rt.state(id).pid as number, 'SIGKILL');
    spawnSync('sleep', ['0.2']);
    assert.equal(rt.state(id).status, 'stopped');
    assert.equal(hostMountsUnder(rootfs).length, 3);
    const del = rt.run(['delete', id]);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(hostMountsUnder(rootfs), []);
    assertNothingLeft(rt, [bundle]);
  });

  test('delete unmounts by the recorded mount id, not by a path the container swapped for a symlink to a host path', () => {
    // A host directory with a mount of its own, where the swapped path would lead.
    const decoy = fs.mkdtempSync(`${os.tmpdir()}/tsrun-nomntns-decoy-`);
    dirs.push(decoy);
    fs.mkdirSync(`${decoy}/inner`);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'decoy', `${decoy}/inner`]).status, 0);
    const id = uniqueId('nomnts');
    try {
      const bundle = noMountNs(['sh', '-c', `mv /mnt /mnt2 && ln -s ${decoy} /mnt && echo swapped && sleep 1000`], (c) => {
        c.mounts.push({ destination: '/mnt/inner', type: 'tmpfs', source: 'tmpfs' });
      });
      assert.equal(rt.run(['create', '--bundle', bundle, id]).code, 0);
      assert.ok(hostMountsUnder(rootfs).includes(`${rootfs}/mnt/inner`));
      assert.equal(rt.run(['start', id]).code, 0);
      const swapped = () => { try { return fs.lstatSync(`${rootfs}/mnt`).isSymbolicLink(); } catch { return false; } };
      for (let i = 0; i < 200 && !swapped(); i++) spawnSync('sleep', ['0.05']);
      assert.equal(fs.readlinkSync(`${rootfs}/mnt`), decoy);
      const del = rt.run(['delete', '--force', id]);
      assert.equal(del.code, 0, del.stderr);
      assert.deepEqual(hostMountsUnder(rootfs), [], 'the container\'s tmpfs is left');
      assert.deepEqual(hostMountsUnder(decoy), [`${decoy}/inner`], 'delete unmounted the host\'s mount the symlink led to');
      assertNothingLeft(rt, [bundle]);
    } finally {
      rt.run(['delete', '--force', id]);
      spawnSync('umount', [`${decoy}/inner`]);
      fs.rmSync(`${rootfs}/mnt`, { force: true });
      if (fs.existsSync(`${rootfs}/mnt2`)) fs.renameSync(`${rootfs}/mnt2`, `${rootfs}/mnt`);
    }
  });

  test('SIGKILL of tsrun midway through create leaves no mount on the host once swept', async () => {
    const bundle = noMountNs(['true'], (c) => {
      for (let i = 0; i < 100; i++) c.mounts.push({ destination: `/tmp/m${i}`, type: 'tmpfs', source: 'tmpfs' });
    });
    const outcomes = new Set<string>();
    // The last one is not a kill midway: create has finished by then.
    for (const delay of [0, 5, 20, 40, 60, 80, 120, 200, 3000]) {
      const id = uniqueId('nomnt9');
      const child = spawn(rt.bin, ['--root', rt.root, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
      const closed = new Promise((r) => child.on('close', r));
      await sleep(delay);
      child.kill('SIGKILL');
      await closed;
      const st = rt.run(['state', id]);
      outcomes.add(st.code === 0 ? 'created' : 'absent');
      if (st.code === 0) assert.equal(rt.run(['delete', '--force', id]).code, 0);
      // Sweeps what the killed create left: it waits for an init still mounting.
      rt.run(['list']);
      assert.deepEqual(rt.ids(), [], `after a kill at ${delay} ms, state is left`);
      assert.deepEqual(hostMountsUnder(rootfs), [], `after a kill at ${delay} ms, a mount is left on the host`);
    }
    assert.ok(outcomes.has('absent'), `some kill landed mid-create (outcomes: ${[...outcomes]})`);
    assert.ok(outcomes.has('created'), `no create finished (outcomes: ${[...outcomes]})`);

    // For certain after every mount is attached: while a createRuntime hook runs.
    const mark = `${fs.mkdtempSync(`${os.tmpdir()}/tsrun-nomntns-mark-`)}/mark`;
    dirs.push(mark.slice(0, -5));
    const hooked = noMountNs(['true'], (c) => {
      c.mounts.push({ destination: '/tmp/m0', type: 'tmpfs', source: 'tmpfs' });
      c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${mark}; exec sleep 3`] }] };
    });
    const id = uniqueId('nomnt9h');
    const child = spawn(rt.bin, ['--root', rt.root, 'create', '--bundle', hooked, id], { stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    for (let i = 0; i < 200 && !fs.existsSync(mark); i++) await sleep(25);
    assert.equal(hostMountsUnder(rootfs).length, 4, 'the mounts are made before the createRuntime hooks');
    child.kill('SIGKILL');
    await closed;
    rt.run(['list']);
    assert.deepEqual(rt.ids(), []);
    assert.deepEqual(hostMountsUnder(rootfs), [], 'the sweep left the mounts of a create killed in its hook');
    assertNothingLeft(rt, [bundle, hooked]);
  });

  test('maskedPaths and readonlyPaths are refused, as runc refuses them; CAP_SYS_CHROOT is warned about', () => {
    for (const field of ['maskedPaths', 'readonlyPaths']) {
      const bundle = noMountNs(['true'], (c) => (c.linux[field] = ['/proc/kcore']));
      const r = rt.run(['run', '--bundle', bundle, uniqueId('nomntm')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`/linux/${field}: unable to restrict sys entries without a private mount namespace`));
      if (runc) {
        const rr = runc.run(['run', '--bundle', bundle, uniqueId('nomntm')]);
        assert.notEqual(rr.code, 0);
        assert.match(rr.stderr, /unable to restrict sys entries without a private MNT namespace/);
      }
      assertNothingLeft(rt, [bundle]);
    }
    const chrooter = noMountNs(['true'], (c) => (c.process.capabilities = { bounding: ['CAP_SYS_CHROOT'], effective: ['CAP_SYS_CHROOT'], permitted: ['CAP_SYS_CHROOT'] }));
    const r = rt.run(['run', '--bundle', chrooter, uniqueId('nomntc')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /CAP_SYS_CHROOT \(in bounding, effective, permitted\) with no mount namespace: the container's root is a chroot/);
    assert.deepEqual(hostMountsUnder(rootfs), []);
    assertNothingLeft(rt, [chrooter]);
  });
});
