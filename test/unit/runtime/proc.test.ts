// Unit tests for /proc/<pid>/stat reading (src/runtime/proc.ts): readProcStat and isAlive on this process, children, a zombie.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, readProcStat } from '../../../src/runtime/proc.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-proc-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Field 22 of /proc/<pid>/stat, parsed independently of proc.ts. */
function startTimeOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const m = /^\d+ \(.*\) (.*)$/s.exec(text.trimEnd());
  assert.ok(m, text);
  return Number(m[1].split(' ')[22 - 3]);
}

/** Polls synchronously (so node cannot reap the child meanwhile) until pid is in state, or 3 s pass. */
function waitForState(pid: number, states: string): string | undefined {
  const deadline = Date.now() + 3000;
  let st = readProcStat(pid)?.state;
  while (st !== undefined && !states.includes(st) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    st = readProcStat(pid)?.state;
  }
  return st;
}

async function killAndReap(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

test('readProcStat(self): running or sleeping, our ppid, the start time', () => {
  const st = readProcStat(process.pid);
  assert.ok(st);
  assert.ok(st.state === 'R' || st.state === 'S', `state ${st.state}`);
  assert.equal(st.ppid, process.ppid);
  assert.ok(Number.isInteger(st.startTime) && st.startTime > 0, `startTime ${st.startTime}`);
  assert.equal(st.startTime, startTimeOf(process.pid));
  assert.equal(readProcStat(process.pid)?.startTime, st.startTime, 'stable across reads');
});

test('readProcStat of a pid that does not exist is undefined', () => {
  assert.equal(readProcStat(4194305), undefined); // above the largest pid_max
  assert.equal(readProcStat(-1), undefined);
});

test('isAlive: true for our own start time only', () => {
  const st = readProcStat(process.pid)!;
  assert.equal(isAlive(process.pid, st.startTime), true);
  assert.equal(isAlive(process.pid, st.startTime + 1), false);
  assert.equal(isAlive(process.pid, st.startTime - 1), false);
  assert.equal(isAlive(process.pid, 0), false);
  assert.equal(isAlive(4194305, st.startTime), false);
  assert.equal(isAlive(0, st.startTime), false);
  assert.equal(isAlive(-1, st.startTime), false);
});

test('a child whose command name holds ") " is parsed after the last ")"', async () => {
  // comm is the basename exec was given: "x) R 1 (y" tries to fool a naive parser.
  const link = join(tmp, 'x) R 1 (y');
  symlinkSync(process.execPath, link);
  const child = spawn(link, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
  try {
    assert.ok(child.pid);
    assert.match(readFileSync(`/proc/${child.pid}/stat`, 'latin1'), /^\d+ \(x\) R 1 \(y\) /);
    const st = readProcStat(child.pid);
    assert.ok(st);
    assert.equal(st.ppid, process.pid);
    assert.equal(st.startTime, startTimeOf(child.pid));
    assert.ok('RSD'.includes(st.state), `state ${st.state}`);
    assert.equal(isAlive(child.pid, st.startTime), true);
  } finally {
    await killAndReap(child);
  }
});

test('a stopped process is still alive', async () => {
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  try {
    const pid = child.pid!;
    const start = readProcStat(pid)!.startTime;
    process.kill(pid, 'SIGSTOP');
    assert.equal(waitForState(pid, 'Tt'), 'T');
    assert.equal(isAlive(pid, start), true);
  } finally {
    await killAndReap(child);
  }
});

test('a zombie counts as gone; once reaped it is gone', async () => {
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  const pid = child.pid!;
  const exited = once(child, 'exit');
  const st = readProcStat(pid)!;
  assert.equal(st.ppid, process.pid);
  assert.equal(isAlive(pid, st.startTime), true);
  // Node reaps children from its event loop, which this synchronous stretch
  // does not return to: the killed child stays a zombie until we await.
  process.kill(pid, 'SIGKILL');
  assert.equal(waitForState(pid, 'ZX'), 'Z');
  assert.equal(readProcStat(pid)!.startTime, st.startTime, 'a zombie keeps its start time');
  assert.equal(isAlive(pid, st.startTime), false);
  await exited;
  const afterReap = readProcStat(pid);
  assert.ok(afterReap === undefined || afterReap.startTime !== st.startTime, 'gone, or a new process on a reused pid');
  assert.equal(isAlive(pid, st.startTime), false);
});
