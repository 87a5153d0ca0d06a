// The runc CVE classes that concern process identity, run against real
// containers; each test tries the escape and must see it fail.
//   CVE-2019-5736: a container process overwrites the runtime's binary via
//     /proc/<pid>/exe of a runtime process that entered the container.
//   CVE-2024-21626: a runtime fd (a host directory) leaks into the
//     container, and a cwd of /proc/self/fd/N lands on the host.
//   no_new_privs: a process without capabilities regains them through a
//     setuid binary (config.md "Process" noNewPrivileges).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, Runtime, skipUnlessRoot, sleep, uniqueId } from '../test/integration/harness.js';

const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const dockerCaps = (c: Record<string, any>) => {
  c.process.capabilities = { bounding: DOCKER_CAPS, effective: DOCKER_CAPS, permitted: DOCKER_CAPS, inheritable: DOCKER_CAPS };
};

describe('runc CVE classes', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sec-'));
  fs.chmodSync(scratch, 0o755);
  after(() => {
    rt.cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('CVE-2019-5736 class: a process watching for exec cannot open a runtime process\'s exe or fds', async () => {
    // The watcher tries, for every process it sees appear, to open its exe
    // read-write and to list its fds; it reports every success. The init's
    // binary is sealed and it is non-dumpable, so neither may work.
    const watcher = [
      'while :; do',
      '  for p in /proc/[0-9]*; do',
      '    n=${p#/proc/}; [ "$n" = 1 ] && continue; [ "$n" = $$ ] && continue',
      '    if (exec 3<>"$p/exe") 2>/dev/null; then echo "OPENED-EXE $n $(readlink $p/exe)" >> /tmp/log; fi',
      '    if ls "$p/fd" >/dev/null 2>&1; then echo "LISTED-FD $n $(readlink $p/exe)" >> /tmp/log; fi',
      '  done',
      'done',
    ].join('\n');
    const id = uniqueId('w');
    const bundle = makeBundle(['sh', '-c', `touch /tmp/log; ( ${watcher} ) & sleep 1000`], dockerCaps);
    const created = rt.run(['run', '-d', '--bundle', bundle, id]);
    assert.equal(created.code, 0, created.stderr);
    await sleep(200);
    for (let i = 0; i < 15; i++) {
      const r = rt.run(['exec', id, 'true']);
      assert.equal(r.code, 0, r.stderr);
    }
    await sleep(200);
    const log = rt.run(['exec', id, 'cat', '/tmp/log']);
    assert.equal(log.code, 0, log.stderr);
    // The exec'd `true`/`cat` are busybox: opening those is no escape. Anything else is.
    const escapes = log.stdout.split('\n').filter((l) => l && !/\/bin\/busybox$/.test(l) && !/ $/.test(l));
    assert.deepEqual(escapes, []);
    rt.run(['delete', '--force', id]);
  });

  test('CVE-2024-21626 class: only stdio and --preserve-fds reach the process', () => {
    const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'ls /proc/self/fd'], dockerCaps), uniqueId('fd')]);
    assert.equal(r.code, 0, r.stderr);
    // ls's own directory fd is 3.
    assert.deepEqual(r.stdout.trim().split('\n').map(Number).sort((a, b) => a - b), [0, 1, 2, 3]);
  });

  test('CVE-2024-21626 class: a cwd of /proc/self/fd/N never lands outside the rootfs', () => {
    // A marker the container must never see: it exists only on the host.
    const marker = `host-only-${process.pid}`;
    fs.writeFileSync(path.join(os.tmpdir(), marker), '');
    try {
      for (let n = 3; n <= 12; n++) {
        const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'ls -a .. ../.. ../../.. 2>&1; readlink /proc/self/cwd'], (c) => {
          dockerCaps(c);
          c.process.cwd = `/proc/self/fd/${n}`;
        }), uniqueId('cwd')]);
        assert.ok(!r.stdout.includes(marker), `cwd /proc/self/fd/${n} reached the host: ${r.stdout}`);
        if (r.code === 0) assert.ok(!r.stdout.includes('tsrun-test-root'), r.stdout);
        else assert.match(r.stderr, /cannot enter cwd/);
      }
    } finally {
      fs.rmSync(path.join(os.tmpdir(), marker), { force: true });
    }
  });

  describe('no_new_privs and a setuid-root binary', () => {
    let bin = '';
    before(() => {
      // A static program that prints its effective uid, setuid root.
      const src = path.join(scratch, 'euid.c');
      fs.writeFileSync(src, '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("%d\\n", (int)geteuid()); return 0; }\n');
      bin = path.join(scratch, 'euid');
      const cc = spawnSync('cc', ['-static', '-O2', '-o', bin, src], { encoding: 'utf8' });
      assert.equal(cc.status, 0, `cc failed: ${cc.stderr}`);
      fs.chmodSync(bin, 0o4755);
    });
    const runEuid = (nnp: boolean) => {
      const r = rt.run(['run', '--bundle', makeBundle(['/var/euid'], (c) => {
        c.process.user = { uid: 1000, gid: 1000 };
        c.process.noNewPrivileges = nnp;
        c.mounts.push({ destination: '/var', type: 'bind', source: scratch, options: ['rbind', 'ro'] });
      }), uniqueId('suid')]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };

    test('config.md "Process" noNewPrivileges: setuid root does not raise the euid', () => {
      assert.equal(runEuid(true), '1000');
    });

    test('(control) without noNewPrivileges the same binary does become root, so the test above can fail', () => {
      assert.equal(runEuid(false), '0');
    });
  });
});
