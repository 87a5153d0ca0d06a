// `start` waits for init's reply on exec.fifo asleep in poll(2), on the fifo
// and a pidfd of init (src/runtime/init-reply.ts): a stand-in init here plays
// each way the wait can end, and the wait ends as soon as it does.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readInitReply } from '../../src/runtime/init-reply.js';
import { native } from '../../src/core/native.js';
import { readProcStat } from '../../src/runtime/proc.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-init-reply-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A stand-in init running script (sh) with $F the fifo; returns what readInitReply read and when. */
async function wait(script: string) {
  const fifo = path.join(dir, `fifo-${++n}`);
  native().mkfifo(fifo, 0o600);
  const child = spawn('sh', ['-c', script], { env: { F: fifo }, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  for (let i = 0; i < 100 && readProcStat(child.pid!) === undefined; i++) await new Promise((r) => setTimeout(r, 5));
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const t0 = performance.now();
  try {
    const reply = await readInitReply(fd, { pid: child.pid!, startTime: readProcStat(child.pid!)!.startTime }, 64 * 1024);
    return { reply: reply.toString(), ms: performance.now() - t0 };
  } finally {
    fs.closeSync(fd);
    await exited;
  }
}

test('the reply, then EOF when init execs (it closes its end): read whole, however late init opens its end', async () => {
  const r = await wait('sleep 0.3; exec 3>"$F"; printf 0 >&3; sleep 0.3; exec 3>&-; sleep 0.5');
  assert.equal(r.reply, '0');
  // ~0.6 s of script before EOF; the 0.5 s after it is not waited for.
  assert.ok(r.ms >= 550 && r.ms < 1000, `${r.ms} ms`);
});

test('an error message, then init exits: read whole', async () => {
  const msg = 'x'.repeat(10_000); // more than one read
  const r = await wait(`exec 3>"$F"; printf '%s' '${msg}' >&3`);
  assert.ok(r.reply === msg, `read ${r.reply.length} of ${msg.length} bytes`);
});

test('init dies before it ever opens its end: the wait ends with it (pidfd), with nothing read', async () => {
  const r = await wait('sleep 0.3');
  assert.equal(r.reply, '');
  assert.ok(r.ms < 1000, `${r.ms} ms`);
});

test('init opens its end and dies without writing: nothing read', async () => {
  const r = await wait('exec 3>"$F"; sleep 0.2');
  assert.equal(r.reply, '');
});

test('delete -f: waitUntilGone sleeps on a pidfd until the process has exited (a zombie counts), and says so when it does not', async () => {
  const { waitUntilGone } = await import('../../src/runtime/delete.js');
  const child = spawn('sleep', ['0.3'], { stdio: 'ignore' });
  await new Promise((r) => child.on('spawn', r));
  const startTime = readProcStat(child.pid!)!.startTime;
  const t0 = performance.now();
  // Our own child stays a zombie while this thread is blocked: gone all the same.
  waitUntilGone(child.pid!, startTime);
  const ms = performance.now() - t0;
  assert.ok(ms >= 250 && ms < 2000, `${ms} ms`);
  assert.equal(readProcStat(child.pid!)?.state ?? 'Z', 'Z');
  const long = spawn('sleep', ['5'], { stdio: 'ignore' });
  await new Promise((r) => long.on('spawn', r));
  try {
    assert.throws(() => waitUntilGone(long.pid!, readProcStat(long.pid!)!.startTime, 100), /did not die after SIGKILL/);
  } finally {
    long.kill('SIGKILL');
  }
  // A pid that is not (or no longer) the process we mean: nothing to wait for.
  waitUntilGone(long.pid!, startTime + 1);
});
