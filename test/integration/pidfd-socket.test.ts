// --pidfd-socket (runc 1.2) for create, run and exec: the container's process
// sends a pidfd of itself over the caller's unix socket (SCM_RIGHTS, with
// runc's message text). The receiver here checks, through the kernel, that
// the fd is a pidfd of that very process: its fdinfo Pid, a SIGKILL sent
// through it (pidfd_send_signal), and poll telling of its exit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { makeBundle, processLives, Runtime, skipUnlessRoot, sleep, uniqueId, stopListener } from './harness.js';

const hasPython = spawnSync('python3', ['-c', 'import os, signal; os.pidfd_open; signal.pidfd_send_signal']).status === 0;

/**
 * Accepts connections on a stream socket; for each, one JSON line: the
 * message text, how many fds came and the pid the pidfd names (its fdinfo).
 * Then on stdin: "kill N" sends SIGKILL through connection N's pidfd,
 * "wait N" polls it until the process has exited and says {"exited": N}.
 */
const RECEIVER_PY = `
import json, os, select, signal, socket, sys, threading
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
print(json.dumps({"bound": True}), flush=True)
pidfds = []
def accept():
    while True:
        c, _ = s.accept()
        msg, fds, _, _ = socket.recv_fds(c, 64, 4)
        pid = None
        for fd in fds:
            for line in open(f"/proc/self/fdinfo/{fd}"):
                if line.startswith("Pid:"): pid = int(line.split()[1])
        pidfds.append(fds[0] if fds else -1)
        print(json.dumps({"n": len(pidfds) - 1, "msg": msg.decode(), "fds": len(fds), "pid": pid}), flush=True)
        c.close()
threading.Thread(target=accept, daemon=True).start()
for line in sys.stdin:
    cmd, n = line.split(); fd = pidfds[int(n)]
    if cmd == "kill": signal.pidfd_send_signal(fd, signal.SIGKILL)
    if cmd == "wait":
        p = select.poll(); p.register(fd, select.POLLIN)
        ready = p.poll(20000)
        print(json.dumps({"exited": int(n), "ready": bool(ready)}), flush=True)
`;

interface Received { n: number; msg: string; fds: number; pid: number | null }

class Receiver {
  readonly lines: Record<string, unknown>[] = [];
  private constructor(readonly path: string, private readonly child: ChildProcess) {}

  static async listen(dir: string): Promise<Receiver> {
    const sock = path.join(dir, `pidfd-${uniqueId('s')}.sock`);
    const child = spawn('python3', ['-c', RECEIVER_PY, sock], { stdio: ['pipe', 'pipe', 'inherit'] });
    const r = new Receiver(sock, child);
    readline.createInterface({ input: child.stdout! }).on('line', (l) => r.lines.push(JSON.parse(l)));
    await r.until((l) => l.bound === true);
    return r;
  }

  async until(pred: (l: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (Date.now() > end) assert.fail(`the receiver printed ${JSON.stringify(this.lines)}`);
      await sleep(20);
    }
  }

  received(n: number): Promise<Received> {
    return this.until((l) => l.n === n) as Promise<unknown> as Promise<Received>;
  }

  /** Polls connection n's pidfd; true once it reports the exit. */
  async waitExit(n: number): Promise<boolean> {
    this.child.stdin!.write(`wait ${n}\n`);
    return (await this.until((l) => l.exited === n, 25_000)).ready as boolean;
  }

  kill(n: number): void {
    this.child.stdin!.write(`kill ${n}\n`);
  }

  async close(): Promise<void> {
    await stopListener(this.child, this.path);
  }
}

const stateOf = (rt: Runtime, id: string) => JSON.parse(rt.run(['state', id]).stdout) as { pid: number; status: string };

describe('--pidfd-socket (runc 1.2): a pidfd of the container\'s process, sent by it', { skip: skipUnlessRoot || (!hasPython && 'needs python3 with os.pidfd_open') }, () => {
  let rt: Runtime;
  let dir: string;
  let recv: Receiver;
  before(async () => {
    rt = new Runtime();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-pidfd-'));
    recv = await Receiver.listen(dir);
  });
  after(async () => {
    await recv.close();
    rt.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let conn = 0;

  test('create: the init sends a pidfd of itself ("standard"); a SIGKILL through it ends the container and poll sees the exit', async () => {
    const id = uniqueId('pidfd');
    const r = rt.run(['create', '--pidfd-socket', recv.path, '-b', makeBundle(['sleep', '1000']), id]);
    assert.equal(r.code, 0, r.stderr);
    const n = conn++;
    const got = await recv.received(n);
    const { pid, status } = stateOf(rt, id);
    assert.equal(status, 'created');
    assert.deepEqual(got, { n, msg: 'standard', fds: 1, pid });
    recv.kill(n);
    assert.equal(await recv.waitExit(n), true, 'poll on the pidfd reports the exit');
    assert.equal(processLives(pid), false);
    assert.equal(stateOf(rt, id).status, 'stopped');
    assert.equal(rt.run(['delete', id]).code, 0);
  });

  test('run -d: the running container\'s init, polled until `kill` ends it', async () => {
    const id = uniqueId('pidfd');
    const r = rt.run(['run', '-d', '--pidfd-socket', recv.path, '-b', makeBundle(['sleep', '1000']), id]);
    assert.equal(r.code, 0, r.stderr);
    const n = conn++;
    const got = await recv.received(n);
    const { pid, status } = stateOf(rt, id);
    assert.equal(status, 'running');
    assert.deepEqual(got, { n, msg: 'standard', fds: 1, pid });
    assert.equal(rt.run(['kill', id, 'KILL']).code, 0);
    assert.equal(await recv.waitExit(n), true);
    assert.equal(rt.run(['delete', id]).code, 0);
  });

  test('exec: the new process (not the init) sends a pidfd of itself ("setns"); poll sees it exit', async () => {
    const id = uniqueId('pidfd');
    assert.equal(rt.run(['run', '-d', '-b', makeBundle(['sleep', '1000']), id]).code, 0);
    const pidFile = path.join(dir, `${id}.pid`);
    const r = rt.run(['exec', '-d', '--pid-file', pidFile, '--pidfd-socket', recv.path, id, 'sleep', '1']);
    assert.equal(r.code, 0, r.stderr);
    const n = conn++;
    const got = await recv.received(n);
    const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.notEqual(execPid, stateOf(rt, id).pid);
    assert.deepEqual(got, { n, msg: 'setns', fds: 1, pid: execPid });
    assert.equal(await recv.waitExit(n), true, 'the exec\'d sleep 1 exits and poll says so');
    assert.equal(stateOf(rt, id).status, 'running');
    assert.equal(rt.run(['delete', '--force', id]).code, 0);
  });

  test('a socket nobody listens on: create fails naming --pidfd-socket, and leaves nothing', () => {
    const id = uniqueId('pidfd');
    const missing = path.join(dir, 'nobody.sock');
    const r = rt.run(['create', '--pidfd-socket', missing, '-b', makeBundle(['true']), id]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`--pidfd-socket ${missing.replace(/[/.]/g, '\\$&')}: cannot connect to it`));
    assert.deepEqual(rt.ids(), []);
  });
});
