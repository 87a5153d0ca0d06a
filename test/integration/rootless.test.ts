// Rootless tsrun (issue 16), side by side with runc: an unprivileged user the
// test makes runs containers from the same bundle with both runtimes.
// runtime-spec config-linux.md "User namespace mappings" (uidMappings,
// gidMappings), runtime.md lifecycle, config-linux.md "Control groups"
// (cgroupsPath, resources) as rootless runtimes treat them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasRunc, repoRoot, skipUnlessRoot } from './harness.js';
import { hasNewuidmap, RootlessUser } from './rootless-harness.js';

const skip = skipUnlessRoot || (!hasNewuidmap && 'needs newuidmap/newgidmap (apt-get install uidmap; scripts/setup installs it)');

describe('rootless containers, as an unprivileged user', { skip }, () => {
  let user: RootlessUser;
  let rootfs: string;
  /** The user's own state roots, one per runtime. */
  const roots = () => ({ tsrun: path.join(user.home, 'tsrun-root'), runc: path.join(user.home, 'runc-root') });

  before(() => {
    user = new RootlessUser('tsrunrl16', 1_610_612_736);
    rootfs = path.join(user.home, 'rootfs');
    const r = spawnSync(path.join(repoRoot, 'bundles', 'make-busybox-rootfs'), [rootfs], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, rootfs]);
  });
  after(() => {
    for (const [rt, root] of Object.entries(roots())) {
      const bin = rt === 'tsrun' ? user.tsrun : 'runc';
      const ids = fs.existsSync(root) ? fs.readdirSync(root) : [];
      for (const id of ids) user.run(bin, ['--root', root, 'delete', '--force', id]);
    }
    user.remove();
  });

  /** A bundle dir of the user's: `tsrun spec --rootless` as the user, the rootfs by absolute path, then patch. */
  const bundle = (name: string, patch: (c: Record<string, any>) => void = () => {}) => {
    const dir = user.mkdir(path.join(user.home, name));
    const r = user.run(user.tsrun, ['spec', '--rootless', '--bundle', dir]);
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    config.root = { path: rootfs, readonly: true };
    config.process.terminal = false;
    patch(config);
    user.write(file, JSON.stringify(config, null, 2));
    return dir;
  };
  const both = (args: string[], dir: string, env?: NodeJS.ProcessEnv) => ({
    tsrun: user.run(user.tsrun, ['--root', roots().tsrun, ...args], { cwd: dir, env }),
    runc: hasRunc ? user.run('runc', ['--root', roots().runc, ...args], { cwd: dir, env }) : undefined,
  });
  const stateLeft = (root: string) => (fs.existsSync(root) ? fs.readdirSync(root) : []);

  test('spec --rootless maps the caller: the same id, maps and devices as runc, with no cgroup on this host', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(bundle('spec-only'), 'config.json'), 'utf8'));
    assert.deepEqual(spec.linux.uidMappings, [{ containerID: 0, hostID: user.uid, size: 1 }]);
    assert.deepEqual(spec.linux.gidMappings, [{ containerID: 0, hostID: user.gid, size: 1 }]);
    const dir = bundle('single', (c) => {
      c.process.args = ['sh', '-c', 'id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; ls -ln /dev/null | cut -c1-10'];
    });
    const r = both(['run', 'rl-single'], dir);
    assert.equal(r.tsrun.code, 0, r.tsrun.stderr);
    const squeeze = (s: string) => s.replace(/[ \t]+/g, ' ');
    assert.match(r.tsrun.stdout, /^uid=0\(root\) gid=0\(root\)/);
    assert.match(squeeze(r.tsrun.stdout), new RegExp(` 0 ${user.uid} 1\\n 0 ${user.gid} 1\\ndeny\\ncrw-rw-rw-`));
    if (r.runc) {
      assert.equal(r.runc.code, 0, r.runc.stderr);
      assert.equal(squeeze(r.tsrun.stdout), squeeze(r.runc.stdout));
    }
    assert.deepEqual(stateLeft(roots().tsrun), []);
  });

  test('several ranges go through newuidmap/newgidmap; files in a bind mount belong to the mapped host ids', () => {
    const data = user.mkdir(path.join(user.home, 'data'));
    const dir = bundle('multi', (c) => {
      const maps = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: user.subStart, size: user.subCount }];
      c.linux.uidMappings = maps;
      c.linux.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: user.subStart, size: user.subCount }];
      for (const set of ['bounding', 'effective', 'permitted'] as const) c.process.capabilities[set].push('CAP_CHOWN');
      c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
      c.process.args = ['sh', '-c', 'id; cat /proc/self/uid_map /proc/self/setgroups; touch /data/root; touch /data/1000 && chown 1000:1000 /data/1000'];
    });
    const outputs: string[] = [];
    for (const [rt, bin, root] of [['tsrun', user.tsrun, roots().tsrun], ...(hasRunc ? [['runc', 'runc', roots().runc]] : [])]) {
      const r = user.run(bin, ['--root', root, 'run', 'rl-multi'], { cwd: dir });
      assert.equal(r.code, 0, `${rt}: ${r.stderr}`);
      outputs.push(r.stdout);
      assert.equal(fs.statSync(path.join(data, 'root')).uid, user.uid, `${rt}: container root is the user on the host`);
      const st = fs.statSync(path.join(data, '1000'));
      assert.deepEqual([st.uid, st.gid], [user.subStart + 999, user.subStart + 999], `${rt}: container id 1000 is subStart+999 on the host`);
      fs.rmSync(path.join(data, 'root'));
      fs.rmSync(path.join(data, '1000'));
    }
    assert.match(outputs[0], /^uid=0\(root\) gid=0\(root\)/);
    assert.match(outputs[0].replace(/[ \t]+/g, ' '), new RegExp(` 0 ${user.uid} 1\\n 1 ${user.subStart} ${user.subCount}\\nallow\\n`));
    if (outputs[1] !== undefined) assert.equal(outputs[0], outputs[1], 'the same as runc');
    // With the gid map written by newgidmap, setgroups is allowed: supplementary groups work
    // (runc 1.1.5 refuses them in any rootless container: "cannot set any additional groups").
    const groups = bundle('multi-groups', (c) => {
      c.linux.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: user.subStart, size: user.subCount }];
      c.linux.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: user.subStart, size: user.subCount }];
      c.process.user.additionalGids = [10];
      c.process.args = ['id'];
    });
    const g = user.run(user.tsrun, ['--root', roots().tsrun, 'run', 'rl-groups'], { cwd: groups });
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /^uid=0\(root\) gid=0\(root\) groups=10\n/);
  });

  test('the default root is $XDG_RUNTIME_DIR/tsrun (0700 and sticky); lifecycle, exec, pid file and state files are the user\'s', () => {
    const dir = bundle('life', (c) => (c.process.args = ['sleep', '60']));
    const T = (args: string[]) => user.run(user.tsrun, args, { cwd: dir });
    const pidFile = path.join(user.home, 'life.pid');
    let r = T(['create', '--pid-file', pidFile, 'rl-life']);
    assert.equal(r.code, 0, r.stderr);
    const root = path.join(user.runtimeDir, 'tsrun');
    const st = fs.statSync(root);
    assert.equal(st.mode & 0o7777, 0o1700);
    assert.equal(st.uid, user.uid);
    assert.equal(fs.statSync(path.join(root, 'rl-life', 'state.json')).uid, user.uid);
    assert.equal(fs.statSync(pidFile).uid, user.uid);
    assert.equal(JSON.parse(T(['state', 'rl-life']).stdout).status, 'created');
    assert.equal(T(['start', 'rl-life']).code, 0);
    r = T(['exec', 'rl-life', 'cat', '/proc/self/uid_map']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^\\s*0\\s+${user.uid}\\s+1\\s*$`));
    r = T(['list']);
    assert.match(r.stdout, new RegExp(`rl-life\\s+\\d+\\s+running\\s+.*\\s${user.name}\\n`), 'list names the user as OWNER, as runc does');
    // No cgroup of its own on this host: pause and ps say why, after runc's warning.
    r = T(['pause', 'rl-life']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tsrun pause may fail if you don't have the full access to cgroups/);
    assert.match(r.stderr, /container rl-life has no cgroup of its own: it is a rootless container/);
    assert.equal(T(['kill', 'rl-life', 'KILL']).code, 0);
    for (let i = 0; i < 50 && JSON.parse(T(['state', 'rl-life']).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.1']);
    r = T(['delete', 'rl-life']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(root), []);
  });

  test('pause, resume, update, ps and events --stats without a cgroup of its own: runc\'s exit codes and reasons', () => {
    const dir = bundle('nocg', (c) => (c.process.args = ['sleep', '60']));
    // Each command: what tsrun says, and what runc 1.1.5 says for the same case.
    const steps: Array<{ args: string[]; tsrun: RegExp; runc: RegExp }> = [
      { args: ['pause'], tsrun: /tsrun pause may fail if you don't have the full access to cgroups[^]*has no cgroup of its own/, runc: /runc pause may fail if you don't have the full access to cgroups[^]*cgroups not configured for container/ },
      { args: ['resume'], tsrun: /tsrun resume may fail if you don't have the full access to cgroups[^]*container not paused/, runc: /runc resume may fail if you don't have the full access to cgroups[^]*container not paused/ },
      { args: ['update', '--pids-limit', '10'], tsrun: /has no cgroup of its own: .* update/, runc: /cannot set pids limit: container could not join or create cgroup/ },
      { args: ['update', '--memory', '100M'], tsrun: /has no cgroup of its own: .* update/, runc: /cannot set memory limit: container could not join or create cgroup/ },
      { args: ['ps'], tsrun: /tsrun ps may fail if you don't have the full access to cgroups[^]*has no cgroup of its own/, runc: /runc ps may fail if you don't have the full access to cgroups[^]*unable to get all container pids/ },
      { args: ['events', '--stats'], tsrun: /has no cgroup of its own .*: its stats are all zero/, runc: /^$/ },
    ];
    const id = 'rl-nocg';
    const r = both(['run', '-d', id], dir);
    try {
      assert.equal(r.tsrun.code, 0, r.tsrun.stderr);
      if (r.runc) assert.equal(r.runc.code, 0, r.runc.stderr);
      for (const step of steps) {
        const got = both([...step.args, id], dir);
        const what = step.args.join(' ');
        assert.match(got.tsrun.stderr, step.tsrun, `tsrun ${what}`);
        assert.equal(got.tsrun.code, what.startsWith('events') ? 0 : 1, `tsrun ${what}: ${got.tsrun.stderr}`);
        if (got.runc) {
          assert.equal(got.tsrun.code, got.runc.code, `${what}: runc's exit code`);
          assert.match(got.runc.stderr, step.runc, `runc ${what}`);
        }
        if (step.args[0] === 'events') {
          const event = JSON.parse(got.tsrun.stdout);
          assert.deepEqual([event.type, event.id, event.data.pids, event.data.memory.usage], ['stats', id, {}, { limit: 0, failcnt: 0 }]);
          if (got.runc) assert.deepEqual(event, JSON.parse(got.runc.stdout), 'the same zero stats as runc');
        }
      }
      assert.equal(JSON.parse(both(['state', id], dir).tsrun.stdout).status, 'running', 'still running, not paused');
    } finally {
      both(['delete', '--force', id], dir);
    }
    assert.deepEqual(stateLeft(roots().tsrun), []);
  });

  test('run with a terminal through --console-socket, and --pid-file: the same as runc', async () => {
    const dir = bundle('tty', (c) => {
      c.process.terminal = true;
      c.process.args = ['sh', '-c', 'tty; id; cat /proc/self/uid_map; stat -c "%a %u %g" $(tty)'];
    });
    const outputs: string[] = [];
    for (const [rt, bin, root] of [['tsrun', user.tsrun, roots().tsrun], ...(hasRunc ? [['runc', 'runc', roots().runc]] : [])]) {
      const sock = path.join(user.home, `tty-${rt}.sock`);
      const ready = `${sock}.ready`;
      const out = `${sock}.out`;
      const pidFile = path.join(user.home, `tty-${rt}.pid`);
      // The receiver is the user's too: the socket is the user's to connect to.
      const receiver = spawn('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--', path.join(repoRoot, 'bundles', 'console-receiver'), sock, '--once-ready', ready, '--output', out, '--input', ''], { stdio: 'ignore' });
      const closed = new Promise<void>((resolve) => receiver.on('close', () => resolve()));
      try {
        for (let i = 0; i < 300 && !fs.existsSync(ready); i++) await sleep(10);
        assert.ok(fs.existsSync(ready), `${rt}: console-receiver did not start`);
        const r = user.run(bin, ['--root', root, 'run', '-d', '--console-socket', sock, '--pid-file', pidFile, 'rl-tty'], { cwd: dir });
        assert.equal(r.code, 0, `${rt}: ${r.stderr}`);
        const pid = fs.readFileSync(pidFile, 'utf8');
        assert.match(pid, /^\d+$/, `${rt}: the pid file holds the pid, no newline`);
        assert.equal(fs.statSync(pidFile).uid, user.uid, `${rt}: the pid file is the user's`);
        await Promise.race([closed, sleep(20_000)]);
        outputs.push(fs.readFileSync(out, 'utf8'));
      } finally {
        receiver.kill();
        user.run(bin, ['--root', root, 'delete', '--force', 'rl-tty']);
      }
    }
    const squeeze = (s: string) => s.replace(/[ \t]+/g, ' ');
    assert.equal(squeeze(outputs[0]), `/dev/pts/0\r\nuid=0(root) gid=0(root)\r\n 0 ${user.uid} 1\r\n620 0 0\r\n`, 'the pty is root\'s in the container: spec --rootless mounts devpts without gid=5, which is not mapped');
    if (outputs[1] !== undefined) assert.equal(squeeze(outputs[0]), squeeze(outputs[1]), 'the same terminal as runc');
    assert.deepEqual(stateLeft(roots().tsrun), []);
  });

  test('limits without cgroup permission fail with runc\'s reason; nothing is left', () => {
    const dir = bundle('limits', (c) => (c.linux.resources = { pids: { limit: 10 } }));
    const r = both(['run', 'rl-limits'], dir);
    assert.notEqual(r.tsrun.code, 0);
    assert.match(r.tsrun.stderr, /config\.json: \/linux\/resources\/pids: cannot set the pids limit: the container could not join or create a cgroup/);
    if (r.runc) {
      assert.notEqual(r.runc.code, 0);
      assert.match(r.runc.stderr, /cannot set pids limit: container could not join or create cgroup/);
    }
    assert.deepEqual(stateLeft(roots().tsrun), []);
  });

  test('bad input is explained and leaves nothing: no user namespace, no subuid entry, a map beyond the range, XDG_RUNTIME_DIR unset, idmapped mounts', () => {
    const cases: Array<{ name: string; patch?: (c: Record<string, any>) => void; env?: NodeJS.ProcessEnv; noRoot?: boolean; unsub?: boolean; want: RegExp; runc?: RegExp }> = [
      {
        name: 'rl-nouserns',
        patch: (c) => {
          c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'user');
          delete c.linux.uidMappings;
          delete c.linux.gidMappings;
        },
        want: /config\.json: \/linux\/namespaces: tsrun runs as uid \d+ \(rootless\), so the container needs a user namespace/,
        runc: /rootless container requires user namespaces/,
      },
      {
        name: 'rl-beyond',
        patch: (c) => {
          c.linux.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: user.subStart, size: user.subCount + 1 }];
        },
        want: /config\.json: \/linux\/uidMappings\/1: host ids .* are outside tsrunrl16 \(\d+\)'s ranges in \/etc\/subuid/,
        runc: /newuidmap|uid_map|operation not permitted/i,
      },
      {
        name: 'rl-nosub',
        unsub: true,
        patch: (c) => {
          c.linux.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: user.subStart, size: 10 }];
        },
        want: /config\.json: \/linux\/gidMappings\/1: host ids .* are not yours: \/etc\/subgid has no entry for tsrunrl16/,
        runc: /newgidmap|gid_map|operation not permitted/i,
      },
      {
        name: 'rl-idmapped',
        patch: (c) => c.mounts.push({ destination: '/mnt', type: 'bind', source: user.home, options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: user.uid, size: 1 }], gidMappings: [{ containerID: 0, hostID: user.gid, size: 1 }] }),
        want: /config\.json: \/mounts\/\d+: idmapped mounts are not supported for rootless containers/,
      },
      {
        name: 'rl-noxdg',
        env: { XDG_RUNTIME_DIR: undefined },
        noRoot: true,
        want: /XDG_RUNTIME_DIR is not set, so it has no state root of its own .*export XDG_RUNTIME_DIR=\/run\/user\/\$\(id -u\)/,
        runc: /\/run\/runc.*permission denied/,
      },
    ];
    for (const c of cases) {
      const dir = bundle(c.name, c.patch);
      if (c.unsub) user.setSubordinate(false);
      try {
        const rootArgs = (root: string) => (c.noRoot ? [] : ['--root', root]);
        const t = user.run(user.tsrun, [...rootArgs(roots().tsrun), 'run', c.name], { cwd: dir, env: c.env });
        assert.notEqual(t.code, 0, `${c.name}: tsrun should fail`);
        assert.match(t.stderr, c.want, c.name);
        if (hasRunc && c.runc) {
          const r = user.run('runc', [...rootArgs(roots().runc), 'run', c.name], { cwd: dir, env: c.env });
          assert.notEqual(r.code, 0, `${c.name}: runc fails too`);
          assert.match(r.stderr, c.runc, `${c.name}: runc's error`);
        }
      } finally {
        if (c.unsub) user.setSubordinate(true);
      }
      assert.deepEqual(stateLeft(roots().tsrun), [], `${c.name}: no state left`);
      assert.deepEqual(stateLeft(path.join(user.runtimeDir, 'tsrun')), [], `${c.name}: nothing under XDG_RUNTIME_DIR`);
    }
    assert.ok(!fs.existsSync('/run/tsrun/rl-noxdg'), 'nothing went to root\'s /run/tsrun');
  });
});
