// runtime-spec config.md "Process" (args, env, cwd), "Hostname", "Root"
// (readonly), "Mounts", and config-linux.md "Namespaces", on real containers.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { makeBundle, Runtime, skipUnlessRoot, uniqueId } from '../test/integration/harness.js';

describe('config.md and config-linux.md on a running container', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const bindDirs: string[] = [];
  after(() => {
    rt.cleanup();
    for (const d of bindDirs) fsModule.rmSync(d, { recursive: true, force: true });
  });

  const runOut = (args: string[], patch?: (c: Record<string, any>) => void) => {
    const bundle = makeBundle(args, patch);
    return rt.run(['run', '--bundle', bundle, uniqueId('p')]);
  };

  test('config-linux.md "Namespaces" pid: the process is PID 1 of a new pid namespace', () => {
    const r = runOut(['sh', '-c', 'echo $$; ls /proc | grep -c "^[0-9]"']);
    assert.equal(r.code, 0, r.stderr);
    const [pid, procs] = r.stdout.trim().split('\n');
    assert.equal(pid, '1');
    assert.ok(Number(procs) <= 3, `only the container's processes are visible, saw ${procs}`);
  });

  test('config.md "Hostname" in a new uts namespace', () => {
    const r = runOut(['hostname'], (c) => (c.hostname = 'spec-host'));
    assert.equal(r.stdout, 'spec-host\n');
  });

  test('config.md "Domainname" in a new uts namespace', () => {
    const r = runOut(['cat', '/proc/sys/kernel/domainname'], (c) => (c.domainname = 'example.org'));
    assert.equal(r.stdout, 'example.org\n');
  });

  test('config-linux.md "Namespaces" network: only a loopback device', () => {
    const r = runOut(['sh', '-c', 'ls /sys/class/net 2>/dev/null || cat /proc/net/dev'], (c) =>
      c.mounts.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro', 'nosuid', 'nodev', 'noexec'] }),
    );
    assert.equal(r.stdout.trim(), 'lo');
  });

  test('config.md "Process": args, env and cwd', () => {
    const r = runOut(['sh', '-c', 'echo "$GREETING"; pwd'], (c) => {
      c.process.env.push('GREETING=hello there');
      c.process.cwd = '/tmp';
    });
    assert.equal(r.stdout, 'hello there\n/tmp\n');
  });

  test('config.md "Process": args[0] is looked up in $PATH from env', () => {
    const r = runOut(['true']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('config.md "Process": the exit status is the process\'s', () => {
    assert.equal(runOut(['sh', '-c', 'exit 3']).code, 3);
  });

  test('config.md "Root" readonly: the rootfs cannot be written', () => {
    const r = runOut(['sh', '-c', 'touch /x 2>&1; echo rc=$?']);
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /rc=1/);
  });

  test('config.md "Mounts": tmpfs with options, in order, destinations created', () => {
    const r = runOut(['sh', '-c', 'grep " /mnt/deep/t " /proc/self/mountinfo'], (c) =>
      c.mounts.push({ destination: '/mnt/deep/t', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'mode=700'] }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\/mnt\/deep\/t ro,nosuid/);
    assert.match(r.stdout, /mode=700/);
  });

  test('config.md "Mounts": a bind mount of a host directory, read-only', () => {
    const r = runOut(['sh', '-c', 'cat /data/hello.txt; echo x > /data/new 2>/dev/null; echo rc=$?'], (c) => {
      const fs = require_fs();
      const dir = fs.mkdtempSync('/tmp/tsrun-bind-');
      bindDirs.push(dir);
      fs.writeFileSync(`${dir}/hello.txt`, 'from the host\n');
      c.mounts.push({ destination: '/data', type: 'bind', source: dir, options: ['rbind', 'ro'] });
    });
    assert.equal(r.stdout, 'from the host\nrc=1\n');
  });

  test('config-linux.md "Namespaces" time and "Offset for Time Namespace": boottime and monotonic are shifted', () => {
    const [hostUptime] = fsModule.readFileSync('/proc/uptime', 'utf8').split(' ').map(Number);
    const r = runOut(['sh', '-c', 'cut -d" " -f1 /proc/uptime'], (c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 1000000, nanosecs: 0 }, monotonic: { secs: 5 } };
    });
    assert.equal(r.code, 0, r.stderr);
    const uptime = Number(r.stdout.trim());
    assert.ok(uptime >= hostUptime + 1000000 && uptime < hostUptime + 1000000 + 60, `uptime ${uptime}, host ${hostUptime}`);
  });

  test('config-linux.md "Namespaces": a path to a namespace of another type is refused, naming both', () => {
    const holder = spawn('sleep', ['30']);
    try {
      const r = runOut(['true'], (c) => c.linux.namespaces.splice(4, 1, { type: 'network', path: `/proc/${holder.pid}/ns/uts` }));
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`config.json: /linux/namespaces/4: /proc/${holder.pid}/ns/uts is not a network namespace`));
      const f = runOut(['true'], (c) => c.linux.namespaces.splice(4, 1, { type: 'network', path: '/etc/hostname' }));
      assert.equal(f.code, 1);
      assert.match(f.stderr, /\/etc\/hostname is not a namespace file/);
    } finally {
      holder.kill();
    }
  });
});

import fsModule from 'node:fs';
function require_fs() {
  return fsModule;
}
