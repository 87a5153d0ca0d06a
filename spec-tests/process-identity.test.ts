// runtime-spec config.md "Process" (user, capabilities, rlimits,
// noNewPrivileges, oomScoreAdj, scheduler, ioPriority, execCPUAffinity,
// apparmorProfile, selinuxLabel) and config-linux.md "User namespace
// mappings" and "Personality", on real containers: each value is read back
// from inside the container, and where runc runs the same bundle, its output
// is the reference.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBundle, Runtime, sideBySide, skipUnlessRoot, uniqueId, type ConfigPatch, type Result } from '../test/integration/harness.js';

/** docker's default capability set: the same list in every set but ambient. */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const CAP_NUMBERS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6, CAP_SETUID: 7,
  CAP_SETPCAP: 8, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_CHROOT: 18, CAP_MKNOD: 27, CAP_AUDIT_WRITE: 29,
  CAP_SETFCAP: 31,
};
const capMask = (names: string[]) => names.reduce((m, n) => m | (1n << BigInt(CAP_NUMBERS[n])), 0n).toString(16).padStart(16, '0');

/** The "Name:\tvalue" lines of /proc/self/status printed by a container. */
function statusLines(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes(':')).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  }));
}

const hostCanRaise = /^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
const hasSysResource = hostCanRaise ? (BigInt(`0x${hostCanRaise}`) & (1n << 24n)) !== 0n : false;

describe('config.md "Process" identity and limits', { skip: skipUnlessRoot }, () => {
  const { rt, runc, cleanup } = sideBySide();
  after(cleanup);

  const run = (args: string[], patch?: ConfigPatch, on: Runtime = rt): Result =>
    on.run(['run', '--bundle', makeBundle(args, patch), uniqueId('id')]);
  /** Runs the bundle under tsrun and, where installed, runc; asserts both succeed with the same stdout. */
  const sameAsRunc = (args: string[], patch?: ConfigPatch): string => {
    const r = run(args, patch);
    assert.equal(r.code, 0, r.stderr);
    if (runc) {
      const ref = run(args, patch, runc);
      assert.equal(ref.code, 0, `runc: ${ref.stderr}`);
      assert.equal(r.stdout, ref.stdout, 'tsrun and runc disagree');
    }
    return r.stdout;
  };

  test('config.md "User": uid, gid and additionalGids exactly, umask', () => {
    const out = sameAsRunc(['sh', '-c', 'id -u; id -g; grep ^Groups: /proc/self/status; umask'], (c) => {
      c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 20, 1001], umask: 0o027 };
    });
    assert.deepEqual(out.trim().split('\n'), ['1000', '1001', 'Groups:\t5 20 1001 ', '0027']);
  });

  test('config.md "User": no additionalGids leaves no supplementary groups (not root\'s)', () => {
    const out = sameAsRunc(['grep', '^Groups:', '/proc/self/status'], (c) => (c.process.user = { uid: 1000, gid: 1000 }));
    assert.equal(out.trim(), 'Groups:');
  });

  test('config.md "Process" capabilities: docker\'s default set, each Cap* line as configured', () => {
    const out = sameAsRunc(['grep', '^Cap', '/proc/self/status'], (c) => {
      c.process.capabilities = { bounding: DOCKER_CAPS, effective: DOCKER_CAPS, permitted: DOCKER_CAPS, inheritable: DOCKER_CAPS };
    });
    const s = statusLines(out);
    for (const key of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd']) assert.equal(s[key], capMask(DOCKER_CAPS), key);
    assert.equal(s.CapAmb, '0000000000000000');
  });

  test('config.md "Process" capabilities: five different sets for a non-root user, with ambient', () => {
    const out = sameAsRunc(['grep', '^Cap', '/proc/self/status'], (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_KILL'],
        inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_NET_BIND_SERVICE'],
      };
    });
    // After exec a non-root process without file caps keeps exactly its ambient set.
    const s = statusLines(out);
    assert.equal(s.CapBnd, capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID']));
    assert.equal(s.CapInh, capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']));
    assert.equal(s.CapAmb, capMask(['CAP_NET_BIND_SERVICE']));
    assert.equal(s.CapPrm, capMask(['CAP_NET_BIND_SERVICE']));
    assert.equal(s.CapEff, capMask(['CAP_NET_BIND_SERVICE']));
  });

  test('config.md "Process" capabilities: none configured means none held, as with runc', () => {
    const s = statusLines(sameAsRunc(['grep', '^Cap', '/proc/self/status']));
    for (const key of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(s[key], '0000000000000000', key);
  });

  test('config.md "Process" capabilities: an unknown name is a warning naming it, and ignored', () => {
    const r = run(['grep', '^CapBnd', '/proc/self/status'], (c) => {
      c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_NOT_A_THING'] };
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /level=warning .*CAP_NOT_A_THING/);
    assert.equal(statusLines(r.stdout).CapBnd, capMask(['CAP_KILL']));
  });

  test('config.md "Process" rlimits: soft and hard set in the container', () => {
    const out = sameAsRunc(['sh', '-c', 'ulimit -Sn; ulimit -Hn; grep "Max processes" /proc/self/limits'], (c) => {
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
        { type: 'RLIMIT_NPROC', soft: 300, hard: 400 },
      ];
    });
    const [soft, hard, nproc] = out.trim().split('\n');
    assert.equal(soft, '100');
    assert.equal(hard, '200');
    assert.match(nproc, /^Max processes\s+300\s+400\s+processes$/);
  });

  test('config.md "Process" rlimits: above the hard limit without CAP_SYS_RESOURCE is an explained error', { skip: hasSysResource && 'this host has CAP_SYS_RESOURCE' }, () => {
    const hard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))![1]);
    const r = run(['true'], (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: hard + 1 }]));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`config.json: /process/rlimits/0: cannot set RLIMIT_NOFILE to hard ${hard + 1}: the current hard limit is ${hard}.*CAP_SYS_RESOURCE`));
    assert.deepEqual(rt.ids(), []);
  });

  test('config.md "Process" noNewPrivileges: NoNewPrivs is 1 (and 0 without it)', () => {
    assert.match(sameAsRunc(['grep', '^NoNewPrivs', '/proc/self/status'], (c) => (c.process.noNewPrivileges = true)), /NoNewPrivs:\s+1/);
    assert.match(sameAsRunc(['grep', '^NoNewPrivs', '/proc/self/status']), /NoNewPrivs:\s+0/);
  });

  test('config.md "Process" oomScoreAdj: the process has it', () => {
    assert.equal(sameAsRunc(['cat', '/proc/self/oom_score_adj'], (c) => (c.process.oomScoreAdj = 500)), '500\n');
  });

  test('config.md "Process" oomScoreAdj: lowering it without CAP_SYS_RESOURCE is an explained error', { skip: hasSysResource && 'this host has CAP_SYS_RESOURCE' }, () => {
    const r = run(['true'], (c) => (c.process.oomScoreAdj = -500));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config.json: \/process\/oomScoreAdj: cannot set oom_score_adj to -500: lowering it .* needs CAP_SYS_RESOURCE/);
  });

  test('config.md "Scheduler": policy and nice', () => {
    // /proc/self/stat fields 19 (nice) and 41 (policy; SCHED_BATCH is 3).
    const r = run(['sh', '-c', 'cat /proc/self/stat'], (c) => (c.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }));
    assert.equal(r.code, 0, r.stderr);
    const fields = r.stdout.slice(r.stdout.lastIndexOf(')') + 2).split(' ');
    assert.equal(fields[19 - 3], '7', 'nice');
    assert.equal(fields[41 - 3], '3', 'policy');
  });

  test('config.md "IO Priority": class and level', () => {
    const r = run(['ionice'], (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'best-effort: prio 6');
  });

  test('config.md "Exec CPU affinity": final is the process\'s affinity', { skip: os.cpus().length < 2 && 'needs 2 CPUs' }, () => {
    const r = run(['grep', '^Cpus_allowed_list', '/proc/self/status'], (c) => (c.process.execCPUAffinity = { initial: '0-1', final: '1' }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statusLines(r.stdout).Cpus_allowed_list, '1');
  });

  test('config-linux.md "Personality": LINUX32 makes uname report a 32-bit machine', { skip: os.arch() !== 'x64' && 'x86_64 only' }, () => {
    assert.equal(run(['uname', '-m'], (c) => (c.linux.personality = { domain: 'LINUX32' })).stdout, 'i686\n');
    assert.equal(run(['uname', '-m'], (c) => (c.linux.personality = { domain: 'LINUX' })).stdout, 'x86_64\n');
  });

  test('config.md "Process" apparmorProfile and selinuxLabel: refused with a reason where the LSM is off', () => {
    if (!fs.existsSync('/sys/module/apparmor/parameters/enabled')) {
      const r = run(['true'], (c) => (c.process.apparmorProfile = 'docker-default'));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\/process\/apparmorProfile: AppArmor is not enabled on this host/);
    }
    if (!fs.existsSync('/sys/fs/selinux/enforce')) {
      const r = run(['true'], (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0'));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\/process\/selinuxLabel: SELinux is not enabled on this host/);
    }
    assert.deepEqual(rt.ids(), []);
  });
});

describe('config-linux.md "User namespace mappings"', { skip: skipUnlessRoot }, () => {
  const rt = new Runtime();
  const dirs: string[] = [];
  after(() => {
    rt.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const MAPS = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const userns: ConfigPatch = (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = MAPS;
    c.linux.gidMappings = MAPS;
  };

  test('the container is root inside and its files are 100000 on the host', () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-userns-'));
    dirs.push(data);
    fs.chownSync(data, 100000, 100000);
    const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'id -u; id -g; cat /proc/self/uid_map; touch /var/made'], (c) => {
      userns(c);
      c.mounts.push({ destination: '/var', type: 'bind', source: data, options: ['rbind'] });
    }), uniqueId('u')]);
    assert.equal(r.code, 0, r.stderr);
    const [uid, gid, map] = r.stdout.trim().split('\n');
    assert.equal(uid, '0');
    assert.equal(gid, '0');
    assert.deepEqual(map.trim().split(/\s+/), ['0', '100000', '65536']);
    const st = fs.statSync(path.join(data, 'made'));
    assert.equal(st.uid, 100000);
    assert.equal(st.gid, 100000);
  });

  test('a user in the namespace maps too, and the host\'s root is nobody inside', () => {
    const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'id -u; stat -c %u /bin/busybox'], (c) => {
      userns(c);
      c.process.user = { uid: 1000, gid: 1000 };
    }), uniqueId('u')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1000', '65534']);
  });

  test('a uid outside the mapping is an explained error', () => {
    const r = rt.run(['run', '--bundle', makeBundle(['true'], (c) => {
      userns(c);
      c.process.user = { uid: 70000, gid: 0 };
    }), uniqueId('u')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/process\/user\/uid: uid 70000 is not mapped in the container's user namespace/);
    assert.deepEqual(rt.ids(), []);
  });

  test('config-linux.md "Namespaces": joining an existing user namespace by path', async () => {
    const holder = uniqueId('holder');
    const created = rt.run(['create', '--bundle', makeBundle(['sleep', '60'], userns), holder]);
    assert.equal(created.code, 0, created.stderr);
    const pid = rt.state(holder).pid as number;
    try {
      const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user'], (c) => {
        c.linux.namespaces.push({ type: 'user', path: `/proc/${pid}/ns/user` });
      }), uniqueId('u')]);
      assert.equal(r.code, 0, r.stderr);
      const [uid, map, ns] = r.stdout.trim().split('\n');
      assert.equal(uid, '0');
      assert.deepEqual(map.trim().split(/\s+/), ['0', '100000', '65536']);
      assert.equal(ns, fs.readlinkSync(`/proc/${pid}/ns/user`));
    } finally {
      rt.run(['delete', '--force', holder]);
    }
  });

  test('mappings without a user namespace are refused, naming the field', () => {
    const r = rt.run(['run', '--bundle', makeBundle(['true'], (c) => (c.linux.uidMappings = MAPS)), uniqueId('u')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config.json: \/linux\/uidMappings: ID mappings need a new user namespace/);
  });
});
