// Unit tests that native/protocol.h and src/runtime/init-protocol.ts agree on every init-protocol message number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageType } from '../../../src/runtime/init-protocol.js';

/** The repository root: the nearest directory above this file with a package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above the test');
    dir = up;
  }
}

const root = repoRoot();
const header = readFileSync(join(root, 'native', 'protocol.h'), 'utf8');

/** `MSG_NAME = N` entries of the MessageType enum, comments stripped. */
function nativeMessages(): Map<string, number> {
  // Comments first: they hold braces ("{pid}") and names of their own.
  const code0 = header.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const body = /enum\s+MessageType\b[^{]*\{([\s\S]*?)\}/.exec(code0);
  assert.ok(body, 'protocol.h has an enum MessageType');
  const code = body[1];
  const out = new Map<string, number>();
  for (const entry of code.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^MSG_(\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)$/.exec(entry);
    assert.ok(m, `every enumerator has an explicit value: ${JSON.stringify(entry)}`);
    assert.ok(!out.has(m[1]), `MSG_${m[1]} is listed once`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

test('protocol.h and init-protocol.ts have the same messages with the same numbers', () => {
  const native = nativeMessages();
  const ts = new Map(Object.entries(MessageType));
  assert.ok(native.size >= 9, `protocol.h lists ${native.size} messages`);
  for (const [name, n] of native) {
    assert.equal(ts.get(name), n, `MSG_${name} = ${n} in protocol.h; MessageType.${name} = ${ts.get(name)}`);
  }
  for (const [name, n] of ts) {
    assert.equal(native.get(name), n, `MessageType.${name} = ${n}; MSG_${name} = ${native.get(name)} in protocol.h`);
  }
  assert.equal(ts.size, native.size);
  assert.deepEqual([...ts.keys()].sort(), [...native.keys()].sort());
});

test('message numbers are unique, and the known ones are what both sides were built with', () => {
  const values = Object.values(MessageType);
  assert.equal(new Set(values).size, values.length);
  assert.ok(values.every((v) => Number.isInteger(v) && v > 0 && v < 2 ** 32));
  assert.equal(MessageType.PLAN, 1);
  assert.equal(MessageType.ACK, 2);
  assert.equal(MessageType.ERROR, 20);
});

test('the init socket variable is spelled only in protocol.h; everything else uses kInitSocketEnv', () => {
  const decl = /constexpr\s+const\s+char\s*\*\s*kInitSocketEnv\s*=\s*"([^"]+)"\s*;/.exec(header);
  assert.ok(decl, 'protocol.h declares kInitSocketEnv');
  const literal = decl[1];
  assert.equal(literal, '_TSRUN_INIT_SOCKET');

  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cc|h|ts)$/.test(e.name)) files.push(p);
    }
  };
  walk(join(root, 'native'));
  walk(join(root, 'src'));
  const spelling = files.filter((f) => readFileSync(f, 'utf8').includes(literal)).map((f) => relative(root, f));
  assert.deepEqual(spelling, [join('native', 'protocol.h')]);
  const users = files.filter((f) => !f.endsWith('protocol.h') && readFileSync(f, 'utf8').includes('kInitSocketEnv'));
  assert.ok(users.length > 0, 'some native file reads or sets kInitSocketEnv');
});
