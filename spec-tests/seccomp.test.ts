// runtime-spec config-linux.md "Seccomp" (and "The Container Process State")
// on real containers. Where runc (1.1.5 here) supports the feature, the same
// bundle also runs under runc and the results must agree. A tiny static
// `probe` program, bind-mounted into the container, makes one raw syscall and
// prints its result, for what busybox cannot reach (clone3, personality).
// x86_64 only: the syscall numbers are x86_64's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNothingLeft, hasRunc, makeBundle, Runtime, skipUnlessRoot, uniqueId, type Result } from '../test/integration/harness.js';

const skip = skipUnlessRoot || (process.arch === 'x64' ? false : 'the syscall numbers here are x86_64 ones');

const NR = { mkdir: 83, personality: 135, clone3: 435, faccessat2: 439 };
const ENOSPC = 28;

const PROBE_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* probe NR [ARG...]: one raw syscall; prints "ok RET" or "err ERRNAME". */
int main(int argc, char **argv) {
  long a[6] = {0};
  for (int i = 2; i < argc && i < 8; i++) a[i - 2] = (long)strtoul(argv[i], 0, 0);
  long r = syscall(strtol(argv[1], 0, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r < 0) printf("err %s\\n", strerrorname_np(errno));
  else printf("ok %ld\\n", r);
  return 0;
}
`;

// A seccomp agent: receives the container process state and the listener fd
// (SCM_RIGHTS, which a node net.Server cannot), answers the first
// notification with -errno, and writes what it saw as JSON.
const AGENT_PY = `
import fcntl, json, os, socket, struct, sys
path, out, err = sys.argv[1], sys.argv[2], int(sys.argv[3])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
while True:
    more = conn.recv(65536)
    if not more:
        break
    data += more
conn.close()
seen = {"state": json.loads(data), "fds": len(fds), "fdKind": os.readlink("/proc/self/fd/%d" % fds[0]) if fds else None}
notif = bytearray(80)  # struct seccomp_notif
fcntl.ioctl(fds[0], 0xC0502100, notif, True)  # SECCOMP_IOCTL_NOTIF_RECV
nid, pid, flags, nr = struct.unpack_from("<QIII", notif, 0)
seen["notifiedSyscall"] = nr
fcntl.ioctl(fds[0], 0xC0182101, struct.pack("<QqiI", nid, 0, -err, 0))  # SECCOMP_IOCTL_NOTIF_SEND
with open(out, "w") as f:
    json.dump(seen, f)
`;

/** Every x86_64 syscall the build host's headers name, with its number. */
function hostSyscalls(): Map<string, number> {
  const out = new Map<string, number>();
  const header = fs.readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8');
  for (const m of header.matchAll(/^#define __NR_(\w+) (\d+)$/gm)) out.set(m[1], Number(m[2]));
  return out;
}

describe('config-linux.md "Seccomp" on a running container', { skip }, () => {
  const rt = new Runtime();
  const runc = hasRunc ? new Runtime('runc', 'runc-test-root-') : undefined;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-seccomp-'));
  const probeDir = path.join(scratch, 'probe');
  let agent: ChildProcess | undefined;

  before(() => {
    fs.mkdirSync(probeDir);
    fs.writeFileSync(path.join(scratch, 'probe.c'), PROBE_C);
    const cc = spawnSync('gcc', ['-static', '-O2', '-o', path.join(probeDir, 'probe'), path.join(scratch, 'probe.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `cannot build the probe (gcc and a static libc are needed): ${cc.stderr}`);
    fs.writeFileSync(path.join(scratch, 'agent.py'), AGENT_PY);
  });
  after(() => {
    agent?.kill('SIGKILL');
    rt.cleanup();
    runc?.cleanup();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const bundle = (args: string[], seccomp: Record<string, unknown>, patch?: (c: Record<string, any>) => void) =>
    makeBundle(args, (c) => {
      c.linux.seccomp = seccomp;
      c.mounts.push({ destination: '/probe', type: 'bind', source: probeDir, options: ['rbind', 'ro'] });
      patch?.(c);
    });

  /** `run` under tsrun and, if installed, under runc: both must give the same exit code and output. */
  function runBoth(b: string, opts: { runc?: boolean } = {}): Result {
    const got = rt.run(['run', '--bundle', b, uniqueId('sc')]);
    if (runc && opts.runc !== false) {
      const want = runc.run(['run', '--bundle', b, uniqueId('sc-runc')]);
      assert.deepEqual(
        { code: got.code, stdout: got.stdout, stderr: got.stderr },
        { code: want.code, stdout: want.stdout, stderr: want.stderr },
        'tsrun (actual) differs from runc (expected)',
      );
    }
    assertNothingLeft(rt, [b]);
    return got;
  }

  test('config-linux.md Seccomp: SCMP_ACT_ERRNO with errnoRet, as busybox reports it; the process runs filtered', () => {
    const b = bundle(['sh', '-c', 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x; echo rc=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSPC }],
    });
    const r = runBoth(b);
    assert.equal(r.stdout, 'Seccomp:\t2\nrc=1\n');
    assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/x': No space left on device/);
  });

  test('config-linux.md Seccomp: SCMP_ACT_ERRNO without errnoRet returns EPERM', () => {
    const r = runBoth(bundle(['sh', '-c', 'mkdir /tmp/x; echo rc=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }));
    assert.equal(r.stdout, 'rc=1\n');
    assert.match(r.stderr, /Operation not permitted/);
  });

  for (const action of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP']) {
    test(`config-linux.md Seccomp: ${action} ends the process with SIGSYS`, () => {
      const r = runBoth(bundle(['mkdir', '/tmp/x'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action }] }));
      assert.equal(r.code, 128 + os.constants.signals.SIGSYS, r.stderr);
    });
  }

  test('config-linux.md Seccomp: args with an operator (personality(0xffffffff) allowed, PER_LINUX32 refused)', () => {
    const r = runBoth(bundle(['sh', '-c', '/probe/probe 135 0xffffffff; /probe/probe 135 8; linux32 uname -m; echo rc=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }],
    }));
    assert.match(r.stdout, /^ok \d+\nerr EPERM\nrc=1\n$/);
  });

  test('config-linux.md Seccomp: args select by fd (write refused on fd 2 only)', () => {
    // ls reports the missing file on its fd 2 (a shell's `>&2` would write to fd 1).
    const r = runBoth(bundle(['sh', '-c', 'echo out; ls /nonexistent; echo rc=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['write'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }],
    }));
    assert.equal(r.stdout, 'out\nrc=1\n');
    assert.equal(r.stderr, '', 'nothing reaches fd 2');
  });

  test('config-linux.md Seccomp: args on the same index are ORed (as runc)', () => {
    const r = runBoth(bundle(['sh', '-c', '/probe/probe 135 8; /probe/probe 135 0x20000; /probe/probe 135 0xffffffff'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['personality'], action: 'SCMP_ACT_ERRNO',
        args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0x20000, op: 'SCMP_CMP_EQ' }],
      }],
    }));
    assert.match(r.stdout, /^err EPERM\nerr EPERM\nok \d+\n$/);
  });

  test('config-linux.md Seccomp: a syscall name libseccomp does not know is skipped, not an error', () => {
    const r = runBoth(bundle(['sh', '-c', 'mkdir /tmp/x; echo rc=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['tsrun_no_such_syscall', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }));
    assert.equal(r.stdout, 'rc=1\n');
    assert.match(r.stderr, /Operation not permitted/);
  });

  test('config-linux.md Seccomp: a syscall newer than the profile gets ENOSYS, not defaultErrnoRet', () => {
    // Everything up to pidfd_open (434) but mkdir is allowed; clone3 (435)
    // and faccessat2 (439) are newer than the profile.
    const names = [...hostSyscalls()].filter(([n, nr]) => nr <= 434 && n !== 'mkdir').map(([n]) => n);
    assert.ok(names.length > 300, `the host headers name ${names.length} syscalls up to 434`);
    const r = runBoth(bundle(['sh', '-c', `/probe/probe ${NR.clone3}; /probe/probe ${NR.faccessat2}; /probe/probe ${NR.mkdir}`], {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: ENOSPC,
      // runc applies its -ENOSYS patch only to the architectures listed.
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }],
    }));
    assert.equal(r.stdout, 'err ENOSYS\nerr ENOSYS\nerr ENOSPC\n');
  });

  test('config-linux.md Seccomp: SECCOMP_FILTER_FLAG_LOG logs SCMP_ACT_ERRNO decisions, and only with the flag', () => {
    // The kernel logs through audit (printk without auditd). The ring buffer
    // rotates and audit is rate-limited, so look only after a marker of our
    // own in /dev/kmsg, and give the flagged run a few tries.
    const mark = () => {
      const m = `tsrun-seccomp-log-test-${process.pid}-${Date.now()}`;
      fs.writeFileSync('/dev/kmsg', `${m}\n`);
      return m;
    };
    const loggedSince = (m: string) => {
      const after = spawnSync('dmesg', { encoding: 'utf8' }).stdout.split(m)[1] ?? '';
      return (after.match(/type=1326 .*comm="mkdir" .*syscall=83 .*code=0x50000/g) ?? []).length;
    };
    const profile = (flags: string[]) => ({ defaultAction: 'SCMP_ACT_ALLOW', flags, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    let m = mark();
    // runc 1.1.5 refuses seccomp flags altogether.
    runBoth(bundle(['mkdir', '/tmp/x'], profile([])), { runc: false });
    assert.equal(loggedSince(m), 0, 'no log line without the flag');
    let seen = 0;
    for (let attempt = 0; attempt < 3 && !seen; attempt++) {
      m = mark();
      const r = runBoth(bundle(['mkdir', '/tmp/x'], profile(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'])), { runc: false });
      assert.match(r.stderr, /Operation not permitted/);
      seen = loggedSince(m);
    }
    assert.ok(seen > 0, 'the ERRNO decision was logged');
  });

  test('config-linux.md Seccomp: without noNewPrivileges the filter is loaded before capabilities are dropped', () => {
    // init's own capset comes after the filter: refusing it fails create, as with runc.
    const b = bundle(['true'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['capset'], action: 'SCMP_ACT_ERRNO' }] });
    const r = rt.run(['run', '--bundle', b, uniqueId('sc')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /operation not permitted/i);
    if (runc) assert.notEqual(runc.run(['run', '--bundle', b, uniqueId('sc-runc')]).code, 0, 'runc fails it too');
    assertNothingLeft(rt, [b]);
  });

  test('config-linux.md Seccomp: with noNewPrivileges the filter comes last, so it need not allow init\'s own setup', () => {
    const b = bundle(['sh', '-c', 'grep "^NoNewPrivs:" /proc/self/status; mkdir /tmp/x 2>/dev/null; echo rc=$?'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['capset', 'chdir', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }, (c) => (c.process.noNewPrivileges = true));
    const r = runBoth(b);
    assert.equal(r.stdout, 'NoNewPrivs:\t1\nrc=1\n', r.stderr);
  });

  describe('SCMP_ACT_NOTIFY and listenerPath', () => {
    /** Starts the agent on a fresh socket; resolves once it listens. */
    async function startAgent(errnoRet: number): Promise<{ sock: string; out: string; done: Promise<number | null> }> {
      const dir = fs.mkdtempSync(path.join(scratch, 'agent-'));
      const sock = path.join(dir, 'agent.sock');
      const out = path.join(dir, 'seen.json');
      const child = spawn('python3', [path.join(scratch, 'agent.py'), sock, out, String(errnoRet)], { stdio: ['ignore', 'pipe', 'inherit'] });
      agent = child;
      const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before listening`)));
      });
      return { sock, out, done };
    }

    /** create, note the pid, start, and return what the agent and the container saw. */
    async function scenario(r: Runtime, name: string) {
      const { sock, out, done } = await startAgent(ENOSPC);
      const results = fs.mkdtempSync(path.join(scratch, 'out-'));
      const b = bundle(['sh', '-c', 'mkdir /tmp/x 2>/out/err; echo $? > /out/rc'], {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: sock,
        listenerMetadata: 'agent-metadata-1',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
      }, (c) => {
        c.mounts.push({ destination: '/out', type: 'bind', source: results, options: ['rbind', 'rw'] });
        c.annotations = { 'org.example.key': 'value' };
      });
      const id = uniqueId(`notify-${name}`);
      const created = r.run(['create', '--bundle', b, id]);
      assert.equal(created.code, 0, `${name} create: ${created.stderr}`);
      const pid = r.state(id).pid;
      assert.equal(r.run(['start', id]).code, 0);
      await r.waitStatus(id, 'stopped');
      assert.equal(r.run(['delete', id]).code, 0);
      assert.equal(await done, 0, 'the agent ran to its end');
      const seen = JSON.parse(fs.readFileSync(out, 'utf8'));
      return { id, b, pid, seen, rc: fs.readFileSync(path.join(results, 'rc'), 'utf8'), err: fs.readFileSync(path.join(results, 'err'), 'utf8') };
    }

    test('config-linux.md Seccomp listenerPath: the agent gets the container process state and a working seccompFd', async () => {
      const { id, b, pid, seen, rc, err } = await scenario(rt, 'tsrun');
      assert.equal(seen.fds, 1, 'one fd in SCM_RIGHTS');
      assert.equal(seen.fdKind, 'anon_inode:seccomp notify');
      assert.deepEqual(seen.state, {
        ociVersion: '1.3.0',
        fds: ['seccompFd'],
        pid,
        metadata: 'agent-metadata-1',
        state: { ociVersion: '1.3.0', id, status: 'creating', pid, bundle: b, annotations: { 'org.example.key': 'value' } },
      });
      // The agent answered mkdir through that fd with ENOSPC.
      assert.ok([NR.mkdir, 258 /* mkdirat */].includes(seen.notifiedSyscall), `notified syscall ${seen.notifiedSyscall}`);
      assert.equal(rc, '1\n');
      assert.match(err, /No space left on device/);
      assertNothingLeft(rt, [b]);
    });

    test('config-linux.md "The Container Process State": the same fields as runc sends', { skip: runc ? false : 'runc is not installed' }, async () => {
      const ours = await scenario(rt, 'tsrun');
      const theirs = await scenario(runc!, 'runc');
      const shape = (s: Record<string, any>) => ({ keys: Object.keys(s).sort(), stateKeys: Object.keys(s.state).sort(), fds: s.fds, metadata: s.metadata, status: s.state.status });
      assert.deepEqual(shape(ours.seen.state), shape(theirs.seen.state));
      assert.deepEqual([ours.rc, ours.err], [theirs.rc, theirs.err]);
    });

    test('runtime.md errors: create fails, leaving nothing, when listenerPath cannot be reached', () => {
      const b = bundle(['true'], {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: path.join(scratch, 'nobody-listens.sock'),
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
      });
      const r = rt.run(['create', '--bundle', b, uniqueId('sc')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\/linux\/seccomp\/listenerPath: cannot send the seccomp listener to .*nobody-listens\.sock/);
      assertNothingLeft(rt, [b]);
    });

    test('config-linux.md Seccomp: SCMP_ACT_NOTIFY without listenerPath fails create with the config path', () => {
      const b = bundle(['true'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] });
      const r = rt.run(['create', '--bundle', b, uniqueId('sc')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /config\.json: \/linux\/seccomp\/listenerPath: SCMP_ACT_NOTIFY needs a listenerPath/);
      assertNothingLeft(rt, [b]);
    });
  });
});
