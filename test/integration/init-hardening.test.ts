// tsrun-init hardening (issue 12, items 3, 4, 7, 8, 9, 13, 14), each checked
// side by side with runc where it is installed: fds leaked by the caller are
// closed before anything is resolved (a host directory reached through
// /proc/self/fd/N as cwd, a pipe held open by a created init), lo is up in a
// new network namespace and left alone in a joined one, readonlyPaths and
// maskedPaths protect what a symlink points to, a tiny RLIMIT_NOFILE binds the
// process and not init, HOME comes from the container's /etc/passwd, and the
// kernel's E2BIG is worded with the config path. Every test checks that
// nothing is left behind.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNothingLeft, busyboxRootfs, makeBundle, sideBySide, skipUnlessRoot, uniqueId, type Result, type Runtime } from './harness.js';

/**
 * Runs `<bin> --root <root> ...args` with extra fds at the given numbers (not
 * close-on-exec: what Python's pass_fds or a careless caller leaks). stdout
 * and stderr go to files, as a created container keeps them.
 */
function runWithFds(rt: Runtime, args: string[], fds: Record<number, number>, opts: { env?: NodeJS.ProcessEnv } = {}): Result {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hardening-io-'));
  const out = fs.openSync(path.join(dir, 'out'), 'w+');
  const err = fs.openSync(path.join(dir, 'err'), 'w+');
  try {
    const top = Math.max(2, ...Object.keys(fds).map(Number));
    const stdio: (number | 'ignore')[] = Array.from({ length: top + 1 }, (_, i) => fds[i] ?? 'ignore');
    stdio[0] = 'ignore';
    stdio[1] = out;
    stdio[2] = err;
    const r = spawnSync(rt.bin, ['--root', rt.root, ...args], { stdio, timeout: 30_000, env: opts.env });
    return {
      code: r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0),
      stdout: fs.readFileSync(path.join(dir, 'out'), 'utf8'),
      stderr: fs.readFileSync(path.join(dir, 'err'), 'utf8'),
    };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Both runtimes' roots: tsrun's first, then runc's where installed. */
function runtimesOf(env: ReturnType<typeof sideBySide>): Runtime[] {
  return env.runc ? [env.rt, env.runc] : [env.rt];
}

/** A rootfs of our own (a copy of the shared busybox one) that a test may change. */
function ownRootfs(dirs: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hardening-rootfs-'));
  fs.chmodSync(dir, 0o755);
  dirs.push(dir);
  const r = spawnSync('cp', ['-a', `${busyboxRootfs()}/.`, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

describe('init hardening (issue 12)', { skip: skipUnlessRoot }, () => {
  const env = skipUnlessRoot ? undefined : sideBySide();
  after(() => env?.cleanup());

  test('CVE-2024-21626 class: process.cwd /proc/self/fd/20 through a host directory leaked as fd 20 is refused by create', () => {
    const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hardening-hostdir-'));
    env!.dirs.push(hostDir);
    fs.writeFileSync(path.join(hostDir, 'host-file'), 'HOST-SECRET\n');
    const bundle = makeBundle(['sh', '-c', 'pwd; cat host-file; echo escaped > written-from-container; cat ../../../etc/hostname'], (c) => {
      c.process.cwd = '/proc/self/fd/20';
    });
    const dirFd = fs.openSync(hostDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      for (const rt of runtimesOf(env!)) {
        const id = uniqueId('cwdfd');
        const r = runWithFds(rt, ['run', '--bundle', bundle, id], { 20: dirFd });
        assert.notEqual(r.code, 0, `${rt.bin} ran the process in the host directory: ${r.stdout}`);
        assert.ok(!r.stdout.includes('HOST-SECRET'), `${rt.bin}: the container read a host file`);
        assert.deepEqual(fs.readdirSync(hostDir), ['host-file'], `${rt.bin}: the container wrote into the host directory`);
        // The fd is closed before anything is resolved: there is no /proc/self/fd/20.
        assert.match(r.stderr, /no such file or directory/);
        if (rt === env!.rt) assert.match(r.stderr, /\/process\/cwd: cannot enter cwd \/proc\/self\/fd\/20/);
        rt.run(['delete', '--force', id]);
        assertNothingLeft(rt, [bundle]);
      }
      // A directory fd given on purpose (--preserve-fds) is no way out either:
      // cwd is resolved inside the rootfs, where /proc/self/fd/3 is a magic link.
      const preserved = makeBundle(['sh', '-c', 'pwd; cat host-file'], (c) => {
        c.process.cwd = '/proc/self/fd/3';
      });
      for (const rt of runtimesOf(env!)) {
        const r = runWithFds(rt, ['run', '--preserve-fds', '1', '--bundle', preserved, uniqueId('cwdfd3')], { 3: dirFd });
        assert.notEqual(r.code, 0, `${rt.bin} ran the process in the host directory: ${r.stdout}`);
        assert.ok(!r.stdout.includes('HOST-SECRET'), `${rt.bin}: the container read a host file`);
        if (rt === env!.rt) assert.match(r.stderr, /\/process\/cwd: .*outside the container's root/);
        assertNothingLeft(rt, [preserved]);
      }
    } finally {
      fs.closeSync(dirFd);
    }
  });

  test('fds leaked by the caller of create (20, 100, 251, 300) are closed: a pipe reader sees EOF once create returns', () => {
    const bundle = makeBundle(['true']);
    for (const rt of runtimesOf(env!)) {
      for (const n of [20, 100, 251, 300]) {
        const fifoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hardening-fifo-'));
        const fifo = path.join(fifoDir, 'pipe');
        assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
        const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
        const id = uniqueId(`leak${n}`);
        try {
          const r = runWithFds(rt, ['create', '--bundle', bundle, id], { [n]: writer });
          assert.equal(r.code, 0, `${rt.bin} create: ${r.stderr}`);
          fs.closeSync(writer);
          // EAGAIN: a writer is still open somewhere (the created init); 0 bytes: EOF.
          let got: number | string;
          try {
            got = fs.readSync(reader, Buffer.alloc(16));
          } catch (e) {
            got = (e as NodeJS.ErrnoException).code ?? String(e);
          }
          assert.equal(got, 0, `${rt.bin}: the created init holds the write end leaked as fd ${n}`);
        } finally {
          try { fs.closeSync(writer); } catch { /* closed above */ }
          fs.closeSync(reader);
          rt.run(['delete', '--force', id]);
          fs.rmSync(fifoDir, { recursive: true, force: true });
        }
      }
      assertNothingLeft(rt, [bundle]);
    }
  });

  test('a new network namespace has lo up and 127.0.0.1 reachable; a joined one is left as it is', () => {
    // The listener may take a while to start on a loaded machine: the client retries for up to 20 s, and if it never
    // connects the listener is killed, so the test fails with what it saw instead of waiting out the harness's timeout.
    const script = 'ip -o link show lo; nc -l -p 8080 > /tmp/got & listener=$!; ' +
      'i=0; until echo ping-lo | nc 127.0.0.1 8080 2>/dev/null; do i=$((i+1)); ' +
      'if [ $i -ge 100 ]; then echo no-connection; kill $listener; break; fi; sleep 0.2; done; wait; cat /tmp/got';
    const bundle = makeBundle(['sh', '-c', script]);
    for (const rt of runtimesOf(env!)) {
      const r = rt.run(['run', '--bundle', bundle, uniqueId('lo')]);
      assert.equal(r.code, 0, `${rt.bin}: ${r.stderr}`);
      assert.match(r.stdout, /<LOOPBACK,UP,LOWER_UP>/, `${rt.bin}: lo is not up: ${r.stdout}`);
      assert.match(r.stdout, /^ping-lo$/m, `${rt.bin}: 127.0.0.1 is not reachable: ${r.stdout}${r.stderr}`);
      assertNothingLeft(rt, [bundle]);
    }

    // A namespace of someone else's, with lo down: joining it must not change it.
    const holder = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' });
    try {
      const nsPath = `/proc/${holder.pid}/ns/net`;
      const own = fs.readlinkSync('/proc/self/ns/net');
      // unshare(1) may not have unshared yet on a loaded machine: joining our own namespace would show nothing.
      for (let i = 0; i < 500 && fs.readlinkSync(nsPath) === own; i++) spawnSync('sleep', ['0.02']);
      assert.notEqual(fs.readlinkSync(nsPath), own, 'unshare --net did not make a namespace within 10 s');
      const joined = makeBundle(['ip', '-o', 'link', 'show', 'lo'], (c) => {
        c.linux.namespaces = c.linux.namespaces.map((ns: { type: string }) => (ns.type === 'network' ? { type: 'network', path: nsPath } : ns));
      });
      for (const rt of runtimesOf(env!)) {
        const r = rt.run(['run', '--bundle', joined, uniqueId('lojoin')]);
        assert.equal(r.code, 0, `${rt.bin}: ${r.stderr}`);
        assert.doesNotMatch(r.stdout, /[<,]UP[,>]/, `${rt.bin} brought up lo of a joined namespace: ${r.stdout}`);
        assertNothingLeft(rt, [joined]);
      }
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('readonlyPaths and maskedPaths that are symlinks protect what they point to, confined to the rootfs', () => {
    const rootfs = ownRootfs(env!.dirs);
    fs.mkdirSync(path.join(rootfs, 'data/target'), { recursive: true });
    fs.symlinkSync('/data/target', path.join(rootfs, 'data/link'));
    fs.writeFileSync(path.join(rootfs, 'data/file'), 'FILE-SECRET\n');
    fs.symlinkSync('/data/file', path.join(rootfs, 'data/flink'));
    fs.writeFileSync(path.join(rootfs, 'etc/hostname'), 'ROOTFS-HOSTNAME\n');
    fs.symlinkSync('../../../etc/hostname', path.join(rootfs, 'data/escape'));
    const script = [
      'touch /data/target/x 2>/dev/null && echo wrote-target || echo target-read-only',
      'echo "file:[$(cat /data/file)]"',
      'echo "escape:[$(cat /data/escape)]"',
      'echo "hostname-file:[$(cat /etc/hostname)]"',
    ].join('; ');
    const bundle = makeBundle(['sh', '-c', script], (c) => {
      c.root = { path: rootfs, readonly: false };
      c.linux.readonlyPaths = ['/data/link'];
      c.linux.maskedPaths = ['/data/flink', '/data/escape'];
    });
    const hostHostname = fs.readFileSync('/etc/hostname', 'utf8');
    const outputs = runtimesOf(env!).map((rt) => {
      const r = rt.run(['run', '--bundle', bundle, uniqueId('symmask')]);
      assert.equal(r.code, 0, `${rt.bin}: ${r.stderr}`);
      assertNothingLeft(rt, [bundle, rootfs]);
      return r.stdout;
    });
    assert.equal(outputs[0], 'target-read-only\nfile:[]\nescape:[]\nhostname-file:[]\n');
    if (outputs[1] !== undefined) assert.equal(outputs[0], outputs[1], 'tsrun (first) differs from runc (second)');
    // Only the container's view changed.
    assert.equal(fs.readFileSync(path.join(rootfs, 'data/file'), 'utf8'), 'FILE-SECRET\n');
    assert.equal(fs.readFileSync('/etc/hostname', 'utf8'), hostHostname);
    assert.deepEqual(fs.readdirSync(path.join(rootfs, 'data/target')), []);
  });

  test('RLIMIT_NOFILE 3/3 binds the process, not init: create and start succeed and `true` exits 0', async () => {
    const { rt, runc } = env!;
    const bundle = makeBundle(['true'], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 3, hard: 3 }];
    });
    const r = rt.run(['run', '--bundle', bundle, uniqueId('nofile3')]);
    assert.equal(r.code, 0, r.stderr);
    assertNothingLeft(rt, [bundle]);
    // runc's own init cannot live under it: it fails the create (we do better).
    if (runc) {
      const id = uniqueId('nofile3-runc');
      assert.notEqual(runc.run(['create', '--bundle', bundle, id]).code, 0);
      runc.run(['delete', '--force', id]);
      assertNothingLeft(runc, [bundle]);
    }
    // The limit is the process's: 4/4 leaves cat exactly one fd of its own (runc fails this create too).
    const four = makeBundle(['cat', '/proc/self/limits'], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 4, hard: 4 }];
    });
    const out = rt.run(['run', '--bundle', four, uniqueId('nofile4')]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(/^Max open files\s+(\S+)\s+(\S+)/m.exec(out.stdout)?.slice(1), ['4', '4']);
    assertNothingLeft(rt, [four]);
  });

  test('rlimits bind after a seccomp filter loaded early (no noNewPrivileges); a filter refusing prlimit64 is named', () => {
    const { rt } = env!;
    const withFilter = (denied: string[]) => (c: Record<string, any>) => {
      c.process.noNewPrivileges = false;
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 3, hard: 3 }];
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: denied, action: 'SCMP_ACT_ERRNO' }] };
    };
    const ok = makeBundle(['true'], withFilter(['mknodat']));
    const r = rt.run(['run', '--bundle', ok, uniqueId('nofile-seccomp')]);
    assert.equal(r.code, 0, r.stderr);
    assertNothingLeft(rt, [ok]);
    const refused = makeBundle(['true'], withFilter(['prlimit64', 'setrlimit']));
    const f = rt.run(['run', '--bundle', refused, uniqueId('nofile-noprlimit')]);
    assert.notEqual(f.code, 0);
    assert.match(f.stderr, /\/process\/rlimits\/0: .*cannot set rlimit 7 just before exec: .*seccomp/);
    assertNothingLeft(rt, [refused]);
  });

  test('an rlimit the kernel refuses still fails create, naming /process/rlimits/N', () => {
    const { rt } = env!;
    const nrOpen = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8'));
    const bundle = makeBundle(['true'], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 1024, hard: nrOpen + 1 }];
    });
    const id = uniqueId('nofilebig');
    const r = rt.run(['create', '--bundle', bundle, id]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/process\/rlimits\/1/);
    assertNothingLeft(rt, [bundle]);
  });

  test('HOME comes from the container\'s /etc/passwd for the uid, "/" without an entry, and an explicit HOME stays', () => {
    const cases: { uid: number; env: string[]; want: string }[] = [
      { uid: 0, env: ['PATH=/bin'], want: '/root' },
      { uid: 65534, env: ['PATH=/bin'], want: '/nonexistent' },
      { uid: 4321, env: ['PATH=/bin'], want: '/' },
      { uid: 0, env: ['PATH=/bin', 'HOME=/custom'], want: '/custom' },
      // An empty HOME counts as none, as with runc.
      { uid: 0, env: ['PATH=/bin', 'HOME='], want: '/root' },
    ];
    for (const { uid, env: processEnv, want } of cases) {
      const bundle = makeBundle(['sh', '-c', 'echo "HOME=$HOME"'], (c) => {
        c.process.user = { uid, gid: uid };
        c.process.env = processEnv;
      });
      for (const rt of runtimesOf(env!)) {
        const r = rt.run(['run', '--bundle', bundle, uniqueId('home')]);
        assert.equal(r.code, 0, `${rt.bin}: ${r.stderr}`);
        assert.equal(r.stdout, `HOME=${want}\n`, `${rt.bin}, uid ${uid}, env ${processEnv.join(' ')}`);
        assertNothingLeft(rt, [bundle]);
      }
    }
  });

  test('exec gets HOME the same way', async () => {
    const bundle = makeBundle(['sleep', '30'], (c) => {
      c.process.env = ['PATH=/bin'];
    });
    for (const rt of runtimesOf(env!)) {
      const id = uniqueId('homeexec');
      assert.equal(rt.run(['run', '--detach', '--bundle', bundle, id]).code, 0);
      try {
        const root = rt.run(['exec', '--env', 'PATH=/bin', id, 'sh', '-c', 'echo "HOME=$HOME"']);
        assert.equal(root.stdout, 'HOME=/root\n', `${rt.bin}: ${root.stderr}`);
        const nobody = rt.run(['exec', '--user', '4321:4321', id, 'sh', '-c', 'echo "HOME=$HOME"']);
        assert.equal(nobody.stdout, 'HOME=/\n', `${rt.bin}: ${nobody.stderr}`);
      } finally {
        rt.run(['delete', '--force', id]);
      }
      assertNothingLeft(rt, [bundle]);
    }
  });

  test('additionalGids beyond 256 are set, up to the kernel\'s NGROUPS_MAX', () => {
    const gids = Array.from({ length: 1000 }, (_, i) => 1000 + i);
    const bundle = makeBundle(['sh', '-c', 'grep ^Groups: /proc/self/status'], (c) => {
      c.process.user = { uid: 0, gid: 0, additionalGids: gids };
    });
    for (const rt of runtimesOf(env!)) {
      const r = rt.run(['run', '--bundle', bundle, uniqueId('gids')]);
      assert.equal(r.code, 0, `${rt.bin}: ${r.stderr}`);
      assert.deepEqual(r.stdout.replace('Groups:', '').trim().split(/\s+/).map(Number), gids, rt.bin);
      assertNothingLeft(rt, [bundle]);
    }
  });

  test('execve\'s E2BIG is worded with the config path; one env string too long fails create', () => {
    const { rt, runc } = env!;
    // 20 strings of 8 KiB (160 KiB) exceed the 128 KiB the kernel allows all
    // of them together under a 64 KiB stack rlimit, which binds at exec.
    const env20 = Array.from({ length: 20 }, (_, i) => `V${i}=${'x'.repeat(8192)}`);
    const bundle = makeBundle(['true'], (c) => {
      c.process.env = ['PATH=/bin', ...env20];
      c.process.rlimits = [{ type: 'RLIMIT_STACK', soft: 65536, hard: 65536 }];
    });
    const r = rt.run(['run', '--bundle', bundle, uniqueId('e2big')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/process\/args.*argument list too long.*\/process\/env/);
    assertNothingLeft(rt, [bundle]);
    if (runc) {
      const rr = runc.run(['run', '--bundle', bundle, uniqueId('e2big-runc')]);
      assert.notEqual(rr.code, 0);
      assert.match(rr.stderr, /argument list too long/);
      assertNothingLeft(runc, [bundle]);
    }

    // One string above MAX_ARG_STRLEN: known before any process exists.
    const one = makeBundle(['true'], (c) => {
      c.process.env = ['PATH=/bin', `BIG=${'y'.repeat(140 * 1024)}`];
    });
    const id = uniqueId('e2big1');
    const c = rt.run(['create', '--bundle', one, id]);
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /\/process\/env\/1: is 143364 bytes.*argument list too long/);
    assertNothingLeft(rt, [one]);
  });
});

describe('CVE-2019-5736 class: tsrun-init runs from a sealed binary (native/spawn.cc)', { skip: skipUnlessRoot }, () => {
  /** Starts tsrun-init's stage 0 from initPath, says what its exe is and whether it opens for writing, and ends it. */
  async function spawnedExe(initPath: string): Promise<{ exe: string; write: string; same: boolean }> {
    const { native } = await import('../../src/core/native.js');
    const s = native().spawnInit(initPath, 0);
    try {
      const exe = fs.readlinkSync(`/proc/${s.pid}/exe`);
      let write = 'opened';
      try {
        fs.closeSync(fs.openSync(`/proc/${s.pid}/exe`, 'r+'));
      } catch (e) {
        write = (e as NodeJS.ErrnoException).code ?? String(e);
      }
      const same = fs.readFileSync(`/proc/${s.pid}/exe`).equals(fs.readFileSync(initPath));
      return { exe, write, same };
    } finally {
      // Its socket closed, stage 0 exits; reaped here.
      fs.closeSync(s.fd);
      native().waitPid(s.pid, true);
    }
  }

  test('from a read-only overlayfs of its own directory, in no mount namespace: not a copy, and not writable', async () => {
    const { initBinaryPath } = await import('../../src/core/native.js');
    const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const r = await spawnedExe(initBinaryPath());
    assert.equal(r.exe, `/${path.basename(initBinaryPath())}`, 'the exe is the file at the root of the private overlayfs');
    assert.equal(r.write, 'EROFS');
    assert.ok(r.same, 'it runs the built tsrun-init');
    assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8'), before, 'no mount appears in our namespace');
  });

  test('where that overlayfs cannot be made (no empty layer beside its directory): a sealed memfd copy', async () => {
    const { initBinaryPath } = await import('../../src/core/native.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-seal-'));
    try {
      fs.mkdirSync(path.join(dir, 'Release'));
      const copy = path.join(dir, 'Release', 'tsrun-init');
      fs.copyFileSync(initBinaryPath(), copy);
      fs.chmodSync(copy, 0o755);
      const r = await spawnedExe(copy);
      assert.match(r.exe, /^\/memfd:tsrun-init/);
      assert.notEqual(r.write, 'opened');
      assert.ok(r.same);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
