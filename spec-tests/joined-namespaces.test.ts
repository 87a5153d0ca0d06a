// runtime-spec config-linux.md "Namespaces" (a namespace joined by path, and
// a type left out, which is inherited from the runtime) with config.md
// "Hostname" and "Mounts", on real containers, with runc as the reference.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { assertNothingLeft, makeBundle, sideBySide, skipUnlessRoot, uniqueId, type Runtime } from '../test/integration/harness.js';

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
});

function baseRootfs(bundle: string): string {
  return JSON.parse(fs.readFileSync(`${bundle}/config.json`, 'utf8')).root.path;
}
