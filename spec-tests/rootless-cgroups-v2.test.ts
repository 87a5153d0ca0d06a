// config-linux.md "Control groups" (cgroupsPath, resources) for a rootless
// container on a pure cgroup v2 host with a subtree delegated to the user,
// as logind delegates user@UID.service: run in the test VM by
// rootless-cgroups-v2-vm.test.ts (TSRUN_CGROUP_V2_VM=1), side by side with runc.
// The VM's / is the host's, read-only, so the user is a bare uid with no
// passwd entry: its own uid alone is mapped, which needs no /etc/subuid.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { hasRunc, repoRoot, runToFiles, tsrunBin } from '../test/integration/harness.js';

const inVm = process.env.TSRUN_CGROUP_V2_VM === '1' && fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
const UID = 43216;
const CG = '/sys/fs/cgroup';
const USER_CG = path.join(CG, `tsrun-user-${UID}`);
const SHELL_CG = path.join(USER_CG, 'shell');

describe('rootless cgroups on v2 with a delegated subtree', { skip: inVm ? false : 'runs in the cgroup v2 test VM (rootless-cgroups-v2-vm.test.ts)' }, () => {
  const home = `/tmp/tsrun-rootless-${UID}`;
  const xdg = `/run/user/${UID}`;
  const rootfs = path.join(home, 'rootfs');

  const chown = (p: string) => fs.chownSync(p, UID, UID);
  /** Delegates dir to the user as logind does: the directory and the files that let it make and fill children. */
  const delegate = (dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) chown(path.join(dir, f));
  };
  /**
   * Runs the runtime as the user from the delegated shell cgroup (root moves
   * the shell there: the root's cgroup.procs is not the user's). The VM's
   * command runs chrooted into the host's / on top of the initramfs, and the
   * kernel refuses a user namespace to a chrooted process (unshare(2),
   * EPERM). So, as switch_root would, a private mount namespace moves that
   * / (/newroot in the initramfs, PID 1's root) onto the initramfs root.
   */
  const asUser = (bin: string, args: string[], cwd: string) => {
    const inner = `cd "$0" && echo $$ > ${SHELL_CG}/cgroup.procs && exec setpriv --reuid ${UID} --regid ${UID} --clear-groups -- "$@"`;
    const outer = `mount --make-rprivate / && cd /newroot && mount -o move . / && exec chroot . /bin/sh -c '${inner}' "$0" "$@"`;
    return runToFiles('nsenter', ['--root=/proc/1/root', '--', '/bin/busybox', 'unshare', '-m', '--', '/bin/busybox', 'sh', '-c', outer, cwd, bin, ...args], home, {
      cwd,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, XDG_RUNTIME_DIR: xdg },
      timeout: 120_000,
    }).result;
  };
  const bundle = (name: string, patch: (c: Record<string, any>) => void) => {
    const dir = path.join(home, name);
    fs.mkdirSync(dir);
    chown(dir);
    const r = asUser(tsrunBin, ['spec', '--rootless', '--bundle', dir], dir);
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.root = { path: rootfs, readonly: true };
    config.process.terminal = false;
    patch(config);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
    return dir;
  };

  before(() => {
    // Debian's kernels can turn unprivileged user namespaces off; a host running rootless containers has them on.
    if (fs.existsSync('/proc/sys/kernel/unprivileged_userns_clone')) fs.writeFileSync('/proc/sys/kernel/unprivileged_userns_clone', '1');
    fs.mkdirSync(home, { recursive: true, mode: 0o755 });
    chown(home);
    fs.mkdirSync(xdg, { recursive: true, mode: 0o700 });
    chown(xdg);
    const r = spawnSync(path.join(repoRoot, 'bundles', 'make-busybox-rootfs'), [rootfs], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    // The root enables its controllers, as systemd does; the user's subtree is the user's to divide.
    fs.writeFileSync(path.join(CG, 'cgroup.subtree_control'), fs.readFileSync(path.join(CG, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).map((c) => `+${c}`).join(' '));
    delegate(USER_CG);
    fs.writeFileSync(path.join(USER_CG, 'cgroup.subtree_control'), '+pids +memory');
    delegate(SHELL_CG);
  });
  after(() => {
    for (const d of fs.readdirSync(USER_CG, { withFileTypes: true })) if (d.isDirectory() && d.name !== 'shell') fs.rmdirSync(path.join(USER_CG, d.name));
    fs.rmdirSync(SHELL_CG);
    fs.rmdirSync(USER_CG);
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(xdg, { recursive: true, force: true });
  });

  test('limits apply in <parent of the caller\'s cgroup>/<id>, as runc places them (fs2 defaultpath)', () => {
    const dir = bundle('limits', (c) => {
      c.linux.resources = { pids: { limit: 20 }, memory: { limit: 64 * 1024 * 1024 } };
      c.process.args = ['sh', '-c', 'p=$(sed -n "s/^0:://p" /proc/self/cgroup); echo $p; cat /sys/fs/cgroup$p/pids.max /sys/fs/cgroup$p/memory.max'];
    });
    const outputs: string[] = [];
    for (const [rt, bin] of [['tsrun', tsrunBin], ...(hasRunc ? [['runc', 'runc']] : [])]) {
      const r = asUser(bin, ['--root', path.join(home, `${rt}-root`), 'run', 'rl-v2'], dir);
      const facts = ['/proc/sys/kernel/unprivileged_userns_clone', '/proc/sys/user/max_user_namespaces'].map((f) => `${f}=${fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '-'}`);
      assert.equal(r.code, 0, `${rt}: ${r.stderr} (${facts.join(', ')})`);
      assert.equal(r.stdout, `/tsrun-user-${UID}/rl-v2\n20\n67108864\n`, rt);
      assert.ok(!fs.existsSync(path.join(USER_CG, 'rl-v2')), `${rt}: the cgroup goes with the container`);
      outputs.push(r.stdout);
    }
  });

  test('pause, resume, update, ps and events --stats work on the delegated cgroup, as with runc', () => {
    const dir = bundle('cmds', (c) => {
      c.linux.resources = { pids: { limit: 20 }, memory: { limit: 64 * 1024 * 1024 } };
      c.process.args = ['sleep', '300'];
    });
    const cg = path.join(USER_CG, 'rl-cmds');
    const codes: Record<string, number[]> = {};
    for (const [rt, bin] of [['tsrun', tsrunBin], ...(hasRunc ? [['runc', 'runc']] : [])]) {
      const root = path.join(home, `${rt}-root`);
      const R = (...args: string[]) => asUser(bin, ['--root', root, ...args], dir);
      const status = () => JSON.parse(R('state', 'rl-cmds').stdout).status;
      const steps: number[] = [];
      const step = (r: ReturnType<typeof R>, what: string) => {
        steps.push(r.code);
        assert.equal(r.code, 0, `${rt} ${what}: ${r.stderr}`);
        return r;
      };
      step(R('run', '-d', 'rl-cmds'), 'run -d');
      let deleted: ReturnType<typeof R> | undefined;
      try {
        const pid = JSON.parse(R('state', 'rl-cmds').stdout).pid;
        step(R('pause', 'rl-cmds'), 'pause');
        assert.equal(status(), 'paused', `${rt}: paused`);
        assert.match(fs.readFileSync(path.join(cg, 'cgroup.events'), 'utf8'), /^frozen 1$/m, `${rt}: the cgroup is frozen`);
        step(R('resume', 'rl-cmds'), 'resume');
        assert.equal(status(), 'running', `${rt}: running again`);
        step(R('update', '--pids-limit', '30', '--memory', '128M', 'rl-cmds'), 'update');
        assert.equal(fs.readFileSync(path.join(cg, 'pids.max'), 'utf8').trim(), '30', `${rt}: pids.max updated`);
        assert.equal(fs.readFileSync(path.join(cg, 'memory.max'), 'utf8').trim(), String(128 * 1024 * 1024), `${rt}: memory.max updated`);
        const ps = step(R('ps', '--format', 'json', 'rl-cmds'), 'ps');
        assert.deepEqual(JSON.parse(ps.stdout), [pid], `${rt}: ps lists the container's process`);
        const ev = JSON.parse(step(R('events', '--stats', 'rl-cmds'), 'events --stats').stdout);
        assert.equal(ev.type, 'stats', rt);
        assert.equal(ev.id, 'rl-cmds', rt);
        assert.equal(ev.data.pids.current, 1, `${rt}: pids.current`);
        assert.equal(ev.data.pids.limit, 30, `${rt}: pids.limit`);
        assert.ok(ev.data.memory.usage.usage > 0, `${rt}: memory usage`);
      } finally {
        deleted = R('delete', '--force', 'rl-cmds');
      }
      // (What delete said, should the cgroup stay: CI once saw it stay, and nothing more.)
      const left = fs.existsSync(cg) ? ` (delete: exit ${deleted.code}, ${JSON.stringify(deleted.stderr)}; cgroup.procs: ${JSON.stringify(fs.readFileSync(path.join(cg, 'cgroup.procs'), 'utf8'))}, cgroup.events: ${JSON.stringify(fs.readFileSync(path.join(cg, 'cgroup.events'), 'utf8'))})` : '';
      assert.ok(!left, `${rt}: the cgroup goes with the container${left}`);
      codes[rt] = steps;
    }
    if (codes.runc) assert.deepEqual(codes.tsrun, codes.runc, 'the same exit codes as runc');
  });

  test('a relative cgroupsPath is placed under the same parent', () => {
    const dir = bundle('relative', (c) => {
      c.linux.cgroupsPath = 'mine/c1';
      c.linux.resources = { pids: { limit: 7 } };
      c.process.args = ['sh', '-c', 'p=$(sed -n "s/^0:://p" /proc/self/cgroup); echo $p; cat /sys/fs/cgroup$p/pids.max'];
    });
    const r = asUser(tsrunBin, ['--root', path.join(home, 'tsrun-root'), 'run', 'rl-rel'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `/tsrun-user-${UID}/mine/c1\n7\n`);
    assert.ok(!fs.existsSync(path.join(USER_CG, 'mine')), 'the parents tsrun made are removed');
  });

  test('without a delegated subtree, limits get runc\'s v2 reason and nothing is left', () => {
    const dir = bundle('undelegated', (c) => {
      c.linux.cgroupsPath = '/tsrun-not-delegated/c1';
      c.linux.resources = { pids: { limit: 7 } };
      c.process.args = ['true'];
    });
    const r = asUser(tsrunBin, ['--root', path.join(home, 'tsrun-root'), 'run', 'rl-nodel'], dir);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /config\.json: \/linux\/cgroupsPath: rootless needs no limits and no cgroupsPath when no permission is granted for cgroups/);
    assert.deepEqual(fs.readdirSync(path.join(home, 'tsrun-root')), []);
    assert.ok(!fs.existsSync(path.join(CG, 'tsrun-not-delegated')));
  });
});
