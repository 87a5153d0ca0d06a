// runtime-spec config.md "Process" terminal and consoleSize, runc's
// --console-socket protocol (the pty master sent with SCM_RIGHTS), a
// foreground `run`/`exec` relaying the terminal itself, and socket
// activation (LISTEN_FDS) and --preserve-fds passed through.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxRootfs, makeBundle, repoRoot, Runtime, sideBySide, skipUnlessRoot, sleep, tsrunBin, uniqueId, type ConfigPatch } from '../test/integration/harness.js';

const receiverBin = path.join(repoRoot, 'bundles', 'console-receiver');

/** bundles/console-receiver on a fresh socket; done resolves with what the container's terminal printed. */
async function startReceiver(dir: string) {
  const sock = path.join(dir, `console-${uniqueId('s')}.sock`);
  const ready = `${sock}.ready`;
  const out = `${sock}.out`;
  const child = spawn(receiverBin, [sock, '--once-ready', ready, '--output', out, '--input', ''], { stdio: 'ignore' });
  const done = new Promise<string>((resolve) => child.on('close', () => resolve(fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '')));
  for (let i = 0; i < 200 && !fs.existsSync(ready); i++) await sleep(10);
  assert.ok(fs.existsSync(ready), 'console-receiver did not start');
  return { sock, done, child };
}

const withTerminal = (args: string[], more?: ConfigPatch): ConfigPatch => (c) => {
  c.process.terminal = true;
  c.process.args = args;
  c.mounts.push({ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] });
  more?.(c);
};

describe('config.md "Process" terminal', { skip: skipUnlessRoot }, () => {
  const { rt, runc, dirs, cleanup } = sideBySide();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-term-'));
  dirs.push(scratch);
  after(cleanup);

  /** run -d with a console socket; returns the terminal's output (\r\n as the pty writes it). */
  const viaSocket = async (on: Runtime, patch: ConfigPatch) => {
    const recv = await startReceiver(scratch);
    const id = uniqueId('t');
    const r = on.run(['run', '-d', '--console-socket', recv.sock, '--bundle', makeBundle(['true'], patch), id]);
    assert.equal(r.code, 0, r.stderr);
    const out = await recv.done;
    on.run(['delete', '--force', id]);
    return out;
  };

  test('--console-socket: a pty inside the container, its master to the socket; consoleSize honoured; /dev/console is it', async () => {
    const patch = withTerminal(['sh', '-c', 'tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-is-tty; stat -c %t,%T /dev/console; stat -c %t,%T /dev/pts/0'], (c) => {
      c.process.consoleSize = { height: 33, width: 111 };
    });
    const out = await viaSocket(rt, patch);
    const lines = out.split('\r\n');
    assert.equal(lines[0], '/dev/pts/0');
    assert.equal(lines[1], '33 111');
    assert.equal(lines[2], 'stdio-is-tty');
    assert.equal(lines[3], lines[4], '/dev/console is the pty slave');
    if (runc) assert.equal(await viaSocket(runc, patch), out, 'runc prints the same');
  });

  test('the terminal is the controlling terminal of the process\'s session', async () => {
    // /proc/<pid>/stat fields 6 and 7: the session (led by pid 1, the shell) and its controlling tty.
    const out = await viaSocket(rt, withTerminal(['sh', '-c', 'cut -d" " -f6,7 /proc/self/stat']));
    assert.equal(out.trim(), `1 ${(136 << 8) | 0}`, 'session 1, tty /dev/pts/0');
  });

  test('runc\'s rules: a detached terminal needs a console socket; a socket needs a detached terminal', () => {
    let r = rt.run(['create', '--bundle', makeBundle(['true'], withTerminal(['true'])), uniqueId('t')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot allocate tty if tsrun will detach without setting console socket/);
    r = rt.run(['create', '--console-socket', path.join(scratch, 'nope.sock'), '--bundle', makeBundle(['true']), uniqueId('t')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot use console socket if tsrun will not detach or allocate tty/);
    r = rt.run(['create', '--console-socket', path.join(scratch, 'nope.sock'), '--bundle', makeBundle(['true'], withTerminal(['true'])), uniqueId('t')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /dial unix .*nope\.sock/);
    assert.deepEqual(rt.ids(), []);
  });

  test('run in the foreground with a terminal and no socket relays the pty to its own stdio', () => {
    const r = rt.run(['run', '--bundle', makeBundle(['true'], withTerminal(['sh', '-c', 'tty; echo relayed; exit 7'])), uniqueId('t')]);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, '/dev/pts/0\r\nrelayed\r\n');
  });

  test('runc exec -t: with a console socket, and relayed in the foreground', async () => {
    const id = uniqueId('t');
    const devpts = withTerminal(['sleep', '60'], (c) => (c.process.terminal = false));
    assert.equal(rt.run(['run', '-d', '--bundle', makeBundle(['true'], devpts), id]).code, 0);
    try {
      const fg = rt.run(['exec', '-t', id, 'sh', '-c', 'tty; echo in-exec']);
      assert.equal(fg.code, 0, fg.stderr);
      assert.match(fg.stdout, /^\/dev\/pts\/\d+\r\nin-exec\r\n$/);
      const recv = await startReceiver(scratch);
      const d = rt.run(['exec', '-t', '-d', '--console-socket', recv.sock, id, 'sh', '-c', 'tty; echo detached-exec']);
      assert.equal(d.code, 0, d.stderr);
      assert.match(await recv.done, /^\/dev\/pts\/\d+\r\ndetached-exec\r\n$/);
      const noSock = rt.run(['exec', '-t', '-d', id, 'true']);
      assert.equal(noSock.code, 255);
      assert.match(noSock.stderr, /cannot allocate tty if tsrun will detach without setting console socket/);
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  test('without a terminal, stdio passes straight through (no pty)', () => {
    const r = rt.run(['run', '--bundle', makeBundle(['sh', '-c', 'tty; echo plain']), uniqueId('t')]);
    assert.equal(r.stdout, 'not a tty\nplain\n');
  });

  test('socket activation: LISTEN_FDS fds reach the process as 3.., with LISTEN_FDS and LISTEN_PID=1 in its env', () => {
    const file = path.join(scratch, 'activated');
    fs.writeFileSync(file, 'from-fd-3\n');
    const fd = fs.openSync(file, 'r');
    try {
      const bundle = makeBundle(['sh', '-c', 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3']);
      const r = spawnSync(tsrunBin, ['--root', rt.root, 'run', '--bundle', bundle, uniqueId('t')], {
        stdio: ['ignore', 'pipe', 'pipe', fd],
        env: { ...process.env, LISTEN_FDS: '1' },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '1 1\nfrom-fd-3\n');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('CVE-2025-52565 class: a /dev/console planted as a symlink never gets the terminal mounted through it', async () => {
    // A rootfs of its own whose /dev/console points at a procfs file; /dev is not a tmpfs, so the link stays.
    const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-console-'));
    dirs.push(rootfs);
    fs.chmodSync(rootfs, 0o755);
    assert.equal(spawnSync('cp', ['-a', `${busyboxRootfs()}/.`, rootfs]).status, 0);
    fs.mkdirSync(path.join(rootfs, 'dev', 'pts'), { recursive: true });
    fs.symlinkSync('/proc/sys/kernel/core_pattern', path.join(rootfs, 'dev', 'console'));
    const before = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const recv = await startReceiver(scratch);
    const r = rt.run(['run', '-d', '--console-socket', recv.sock, '--bundle', makeBundle(['true'], withTerminal(['true'], (c) => {
      c.root.path = rootfs;
      c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/dev');
    })), uniqueId('t')]);
    recv.child.kill();
    assert.equal(r.code, 1, 'create must refuse');
    assert.match(r.stderr, /\/dev\/console is a symlink, or not a plain file or device of \/dev; refusing/);
    assert.equal(fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), before);
    assert.deepEqual(rt.ids(), []);
  });
});
