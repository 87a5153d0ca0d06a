// Rootless podman drives tsrun (issue 16): an unprivileged user the test
// makes runs `podman --runtime tsrun` with the cgroupfs manager (no systemd
// here), vfs storage and slirp4netns networking. podman runs the runtime as
// uid 0 in its own user namespace, with no user namespace in config.json:
// tsrun's rootless cgroups and $XDG_RUNTIME_DIR/tsrun state root. Each
// scenario runs with runc too, and their visible results must agree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot, type Result } from '../integration/harness.js';
import { RootlessUser, hasNewuidmap } from '../integration/rootless-harness.js';
import { skipReason, which } from './engine-harness.js';

const skip = skipReason('podman', ['podman', 'conmon', 'slirp4netns']) || (!hasNewuidmap && 'needs newuidmap/newgidmap (package uidmap; scripts/setup installs it)');
const IMAGE = 'localhost/tsrun-rootless-busybox:latest';

describe('rootless podman --runtime tsrun, compared with runc', { skip, timeout: 600_000 }, () => {
  let user: RootlessUser;
  const podman = (runtime: string, args: string[]): Result => user.run(which('podman')!, ['--runtime', runtime === 'tsrun' ? 'tsrun' : 'runc', ...args], { timeout: 120_000 });
  const both = (args: string[]) => ['runc', 'tsrun'].map((rt) => ({ rt, ...podman(rt, args) }));

  before(() => {
    user = new RootlessUser('tsrunrlpm16', 1_610_612_736 + 65536);
    const conf = path.join(user.home, '.config', 'containers');
    user.mkdir(path.join(user.home, '.config'));
    user.mkdir(conf);
    user.write(
      path.join(conf, 'containers.conf'),
      [
        '[engine]',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        'runtime_supports_json = ["runc", "tsrun"]',
        '[engine.runtimes]',
        `tsrun = [${JSON.stringify(user.tsrun)}]`,
        '',
      ].join('\n'),
    );
    user.write(path.join(conf, 'storage.conf'), ['[storage]', 'driver = "vfs"', ''].join('\n'));
    const rootfs = user.mkdir(path.join(user.home, 'image-rootfs'));
    let r = spawnSync(path.join(repoRoot, 'bundles', 'make-busybox-rootfs'), [rootfs], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const tar = path.join(user.home, 'image.tar');
    r = spawnSync('tar', ['-C', rootfs, '-cf', tar, '.'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    fs.chownSync(tar, user.uid, user.gid);
    const imported = user.run(which('podman')!, ['import', tar, IMAGE], { timeout: 120_000 });
    assert.equal(imported.code, 0, `podman import: ${imported.stderr}`);
  });

  after(() => {
    if (!user) return;
    user.run(which('podman')!, ['rm', '--all', '--force', '--time', '0']);
    user.run(which('podman')!, ['system', 'reset', '--force']);
    user.remove();
  });

  test('run --rm: identity and maps as runc shows them', () => {
    for (const r of both(['run', '--rm', IMAGE, 'sh', '-c', 'id; cat /proc/self/uid_map; echo exit; exit 3'])) {
      assert.equal(r.code, 3, `${r.rt}: ${r.stderr}`);
      assert.match(r.stdout, /^uid=0\(root\) gid=0\(root\)/, r.rt);
      assert.match(r.stdout.replace(/\s+/g, ' '), new RegExp(` 0 ${user.uid} 1 1 ${user.subStart} ${user.subCount} exit`), r.rt);
    }
    const [runc, tsrun] = both(['run', '--rm', IMAGE, 'id']);
    assert.equal(tsrun.stdout, runc.stdout);
  });

  test('run -d, exec, stop, rm; nothing is left in the state root', () => {
    for (const rt of ['runc', 'tsrun']) {
      const name = `rl16-${rt}`;
      let r = podman(rt, ['run', '-d', '--name', name, IMAGE, 'sleep', '300']);
      assert.equal(r.code, 0, `${rt} run -d: ${r.stderr}`);
      r = podman(rt, ['exec', name, 'sh', '-c', 'echo hello; id -u']);
      assert.equal(r.code, 0, `${rt} exec: ${r.stderr}`);
      assert.equal(r.stdout, 'hello\n0\n', rt);
      r = podman(rt, ['stop', '--time', '1', name]);
      assert.equal(r.code, 0, `${rt} stop: ${r.stderr}`);
      r = podman(rt, ['inspect', '--format', '{{.State.Status}}', name]);
      assert.equal(r.stdout.trim(), 'exited', rt);
      r = podman(rt, ['rm', name]);
      assert.equal(r.code, 0, `${rt} rm: ${r.stderr}`);
    }
    const stateRoot = path.join(user.runtimeDir, 'tsrun');
    assert.deepEqual(fs.existsSync(stateRoot) ? fs.readdirSync(stateRoot) : [], [], 'no container left in $XDG_RUNTIME_DIR/tsrun');
  });

  test('--network none has only lo; the default slirp4netns network has tap0', () => {
    for (const r of both(['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'ls /sys/class/net'])) {
      assert.equal(r.code, 0, `${r.rt}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), 'lo', r.rt);
    }
    for (const r of both(['run', '--rm', IMAGE, 'sh', '-c', 'ls /sys/class/net | tr "\\n" " "'])) {
      assert.equal(r.code, 0, `${r.rt}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), 'lo tap0', r.rt);
    }
  });
});
