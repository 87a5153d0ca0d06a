// sd_notify on both ends, for the NOTIFY_SOCKET tests: a static sender built
// into a container's rootfs, and the host's socket, which records what
// arrives (python3: node has no unix datagram sockets).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot, sleep, uniqueId, stopListener } from './harness.js';

/** Builds sd-notify.c (MESSAGE... → one datagram each to $NOTIFY_SOCKET) static at dest. */
export function buildSdNotify(dest: string): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const cc = spawnSync('gcc', ['-static', '-O2', '-o', dest, path.join(repoRoot, 'test', 'integration', 'sd-notify.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `gcc -static failed (is a static libc installed?): ${cc.stderr}`);
}

/** One JSON line per datagram, with how many fds came along (closed at once, so a BARRIER's pipe sees EOF). */
const LISTENER_PY = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    fds = array.array("i")
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    for fd in fds:
        os.close(fd)
    print(json.dumps({"msg": msg.decode(), "fds": len(fds)}), flush=True)
`;

export interface Datagram {
  msg: string;
  fds: number;
}

/** The caller's NOTIFY_SOCKET: a datagram socket at path that records every message. */
export class HostSocket {
  readonly messages: Datagram[] = [];
  private constructor(
    readonly path: string,
    private readonly child: ChildProcess,
  ) {}

  static async listen(dir: string): Promise<HostSocket> {
    const sock = path.join(dir, `host-${uniqueId('n')}.sock`);
    const child = spawn('python3', ['-c', LISTENER_PY, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    const host = new HostSocket(sock, child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the listener exited (${code})`)));
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'bound') resolve();
        else host.messages.push(JSON.parse(line));
      });
    });
    return host;
  }

  /** Waits for n datagrams in all; fails after timeoutMs. */
  async waitFor(n: number, timeoutMs = 10_000): Promise<Datagram[]> {
    return this.waitUntil(() => this.messages.length >= n, timeoutMs, `${n} datagrams`);
  }

  /** Waits until pred holds of some datagram; fails after timeoutMs. */
  async waitForMessage(pred: (d: Datagram) => boolean, timeoutMs = 20_000): Promise<Datagram[]> {
    return this.waitUntil(() => this.messages.some(pred), timeoutMs, 'a matching datagram');
  }

  private async waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<Datagram[]> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) assert.fail(`the host got ${JSON.stringify(this.messages)}, expected ${what}`);
      await sleep(20);
    }
    return this.messages;
  }

  async close(): Promise<void> {
    await stopListener(this.child, this.path);
  }
}
