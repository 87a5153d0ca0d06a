// Unit tests for the init channel's framing (native/framing.h): a message of
// any size reaches tsrun-init whole, and frames that disagree are refused.
// They talk to the real tsrun-init binary, which never gets past reading its
// plan (no root needed). Also: the hook states go to init only where hooks need them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Config } from '../../../src/spec/types.js';
import { runCreateRuntimeHooks } from '../../../src/runtime/hooks.js';
import { MessageType } from '../../../src/runtime/init-protocol.js';
import { initBinaryPath, native } from '../../../src/core/native.js';
import { decode, encode } from '../../../src/runtime/wire.js';

const EPROTO = 71;
// init's decode names the mode when it is neither plan (native/init/plan-load.cc).
const NOT_A_PLAN = 'the plan from tsrun does not fit this tsrun-init: /mode: ';

/** Starts tsrun-init, lets send talk to it, and returns what it answered and how it ended. */
function withInit(send: (fd: number) => void) {
  const core = native();
  const { pid, fd } = core.spawnInit(initBinaryPath(), 0);
  try {
    send(fd);
    const msg = core.channelRecv(fd);
    return { msg: msg && { type: msg.type, body: decode(msg.payload) as Record<string, unknown> }, end: core.waitPid(pid, true) };
  } finally {
    fs.closeSync(fd);
  }
}

/** One raw frame: u32 type, u32 length of the whole payload, then this frame's chunk. */
function frame(type: number, total: number, chunk: Buffer): Buffer {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(type, 0);
  hdr.writeUInt32LE(total, 4);
  return Buffer.concat([hdr, chunk]);
}

test('a 4 MB plan, many times the socket buffer, reaches tsrun-init whole', () => {
  // The mode comes after the padding: init names it only if every byte arrived and decoded.
  const plan = encode({ padding: 'x'.repeat(4 << 20), mode: 'no-such-mode' });
  const { msg, end } = withInit((fd) => native().channelSend(fd, MessageType.PLAN, plan));
  assert.equal(msg?.type, MessageType.ERROR);
  assert.equal(msg?.body.message, `${NOT_A_PLAN}"no-such-mode" is not "create" or "exec"`);
  assert.equal(end.code, 1);
});

test('payloads of one frame\'s chunk (64 KB less the header), one byte less and more, and two chunks arrive', () => {
  const chunk = 64 * 1024 - 8;
  const overhead = encode({ mode: 'm', padding: '' }).length;
  for (const size of [chunk - 1, chunk, chunk + 1, 2 * chunk]) {
    const plan = encode({ mode: 'm', padding: 'y'.repeat(size - overhead) });
    assert.equal(plan.length, size);
    const { msg } = withInit((fd) => native().channelSend(fd, MessageType.PLAN, plan));
    assert.equal(msg?.body.message, `${NOT_A_PLAN}"m" is not "create" or "exec"`, `a payload of ${size} bytes`);
  }
});

test('tsrun-init refuses frames that disagree with the first, or overrun its length', () => {
  const payload = encode({ mode: 'x' });
  const cases: [string, Buffer[]][] = [
    ['a frame shorter than its header', [Buffer.from([1, 0, 0, 0])]],
    ['a later frame of another type', [frame(MessageType.PLAN, 20, Buffer.alloc(10)), frame(MessageType.ACK, 20, Buffer.alloc(10))]],
    ['a later frame with another length', [frame(MessageType.PLAN, 20, Buffer.alloc(10)), frame(MessageType.PLAN, 30, Buffer.alloc(10))]],
    ['a frame past the length', [frame(MessageType.PLAN, 5, Buffer.alloc(6))]],
    ['a later frame past the length', [frame(MessageType.PLAN, 20, Buffer.alloc(10)), frame(MessageType.PLAN, 20, Buffer.alloc(11))]],
    ['an empty later frame', [frame(MessageType.PLAN, 20, Buffer.alloc(10)), frame(MessageType.PLAN, 20, Buffer.alloc(0))]],
  ];
  for (const [what, frames] of cases) {
    const { msg, end } = withInit((fd) => frames.forEach((f) => fs.writeSync(fd, f)));
    assert.equal(msg?.type, MessageType.ERROR, what);
    assert.equal(msg?.body.errno, EPROTO, what);
    assert.match(String(msg?.body.message), /cannot receive a message from the parent/, what);
    assert.equal(end.code, 1, what);
  }
  // Frames that add up but hold no valid payload: the decoder refuses it.
  const { msg } = withInit((fd) => fs.writeSync(fd, frame(MessageType.PLAN, payload.length + 1, Buffer.concat([payload, Buffer.from('n')]))));
  assert.equal(msg?.body.message, 'malformed message of type 1 from the parent');
  // The same payload split over two frames is fine.
  const split = withInit((fd) => {
    fs.writeSync(fd, frame(MessageType.PLAN, payload.length, payload.subarray(0, 3)));
    fs.writeSync(fd, frame(MessageType.PLAN, payload.length, payload.subarray(3)));
  });
  assert.equal(split.msg?.body.message, `${NOT_A_PLAN}"x" is not "create" or "exec"`);
});

test('init\'s error report is read even when init has exited with frames of ours unread', () => {
  // The kernel then fails our next read once with ECONNRESET, the report still queued behind it.
  const core = native();
  const { pid, fd } = core.spawnInit(initBinaryPath(), 0);
  try {
    fs.writeSync(fd, frame(MessageType.PLAN, 20, Buffer.alloc(10)));
    fs.writeSync(fd, frame(MessageType.ACK, 20, Buffer.alloc(10)));
    fs.writeSync(fd, frame(MessageType.ACK, 20, Buffer.alloc(10)));
    assert.equal(core.waitPid(pid, true).code, 1);
    const msg = core.channelRecv(fd);
    assert.equal(msg?.type, MessageType.ERROR);
    assert.equal((decode(msg.payload) as Record<string, unknown>).errno, EPROTO);
    assert.equal(core.channelRecv(fd), null);
  } finally {
    fs.closeSync(fd);
  }
});

test('a parent that hangs up midway through a message: init exits, without waiting for the rest', () => {
  const core = native();
  const { pid, fd } = core.spawnInit(initBinaryPath(), 0);
  fs.writeSync(fd, frame(MessageType.PLAN, 1000, Buffer.alloc(10)));
  fs.closeSync(fd);
  assert.deepEqual(core.waitPid(pid, true), { exited: true, code: 1, signal: 0 });
});

test('the ACK carries a hook state only where there are hooks for it', () => {
  const config = (hooks: Config['hooks']) => ({ ociVersion: '1.3.0', root: { path: 'rootfs' }, hooks }) as Config;
  const base = { ociVersion: '1.3.0', id: 'c1', bundle: '/b', annotations: { big: 'a'.repeat(1000) } };
  const hook = [{ path: '/bin/true' }];
  const none = runCreateRuntimeHooks(config({}), base, 100, 1);
  assert.deepEqual(none, { createContainerState: undefined, startContainerState: undefined });
  const start = runCreateRuntimeHooks(config({ startContainer: hook }), base, 100, 1);
  assert.equal(start.createContainerState, undefined);
  assert.equal(JSON.parse(String(start.startContainerState)).status, 'created');
  const both = runCreateRuntimeHooks(config({ createContainer: hook, startContainer: hook }), base, 100, 1);
  assert.equal(JSON.parse(String(both.createContainerState)).status, 'creating');
  assert.equal(JSON.parse(String(both.startContainerState)).pid, 1);
});
