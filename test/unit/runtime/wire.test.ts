// Unit tests for the plan wire format (src/runtime/wire.ts): round-trips, golden bytes and every decode error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, type WireValue } from '../../../src/runtime/wire.js';

const hex = (b: Buffer) => b.toString('hex');
const roundTrip = (v: WireValue) => decode(encode(v));

test('scalars round-trip with their exact value', () => {
  assert.equal(roundTrip(null), null);
  assert.equal(roundTrip(true), true);
  assert.equal(roundTrip(false), false);
  for (const n of [0, 1, -1, 42, -42, 255, 256, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5,
    -(2 ** 32) - 7, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    assert.equal(roundTrip(n), n, `integer ${n}`);
  }
  for (const s of ['', 'a', 'hello world', 'é', 'ключ', '日本語', '😀 emoji', 'nul\0inside', 'x'.repeat(70000)]) {
    assert.equal(roundTrip(s), s, `string ${JSON.stringify(s.slice(0, 20))}`);
  }
});

test('bigints encode as the same int64 as numbers and decode as numbers', () => {
  assert.equal(hex(encode(2n ** 40n)), hex(encode(2 ** 40)));
  assert.equal(hex(encode(-5n)), hex(encode(-5)));
  assert.equal(roundTrip(2n ** 40n), 2 ** 40);
  assert.equal(hex(encode(2n ** 63n - 1n)), '69ffffffffffffff7f');
  assert.equal(hex(encode(-(2n ** 63n))), '690000000000000080');
});

test('a Buffer is a byte string: same bytes as the utf8 string, decoded as a string', () => {
  assert.equal(hex(encode(Buffer.from('héllo', 'utf8'))), hex(encode('héllo')));
  assert.equal(roundTrip(Buffer.from('héllo', 'utf8')), 'héllo');
  assert.equal(hex(encode(Buffer.from([0xff, 0x00, 0x01]))), '7303000000ff0001');
  assert.equal(hex(encode(Buffer.alloc(0))), '7300000000');
});

test('nested arrays and maps round-trip', () => {
  const value: WireValue = {
    mode: 'create',
    rootfs: '/bundles/busybox/rootfs',
    readonlyRoot: false,
    noPivot: true,
    rootfsPropagation: 0x80000 | 0x4000,
    namespaces: [{ type: 'pid', configPath: '/linux/namespaces/0' }, { type: 'net', path: '/proc/1/ns/net', configPath: '/linux/namespaces/1' }],
    mounts: [],
    empty: {},
    nested: [[[], [null, [true, [false, [-1, ['deep']]]]]], { 'ключ': { 'é': 'значение' } }],
    inheritedNofile: [1024, 1048576],
    big: 2 ** 33,
    neg: -(2 ** 33),
  };
  assert.deepEqual(roundTrip(value), value);
  assert.deepEqual(roundTrip([]), []);
  assert.deepEqual(roundTrip({}), {});
  assert.deepEqual(roundTrip([null, true, false, 0, '']), [null, true, false, 0, '']);
});

test('map keys keep their order', () => {
  const out = roundTrip({ z: 1, a: 2, m: 3 }) as Record<string, WireValue>;
  assert.deepEqual(Object.keys(out), ['z', 'a', 'm']);
});

test('keys whose value is undefined are dropped, as JSON.stringify does', () => {
  assert.equal(hex(encode({ a: undefined, b: 2, c: undefined })), hex(encode({ b: 2 })));
  assert.deepEqual(roundTrip({ a: undefined, b: null }), { b: null });
  assert.equal(hex(encode({ only: undefined })), '6d00000000');
});

test('golden bytes: {a: 1}', () => {
  const expected = Buffer.concat([
    Buffer.from('m'),
    Buffer.from([1, 0, 0, 0]), // one pair
    Buffer.from([1, 0, 0, 0]), // key length
    Buffer.from('a'),
    Buffer.from('i'),
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]),
  ]);
  assert.equal(hex(encode({ a: 1 })), hex(expected));
  assert.equal(hex(encode({ a: 1 })), '6d01000000010000006169' + '0100000000000000');
  assert.deepEqual(decode(expected), { a: 1 });
});

test('golden bytes: scalars, strings, arrays, utf8 keys', () => {
  assert.equal(hex(encode(null)), '6e');
  assert.equal(hex(encode(true)), '74');
  assert.equal(hex(encode(false)), '66');
  assert.equal(hex(encode(0)), '690000000000000000');
  assert.equal(hex(encode(-1)), '69ffffffffffffffff');
  assert.equal(hex(encode(-2)), '69feffffffffffffff');
  assert.equal(hex(encode(2 ** 32 + 5)), '690500000001000000');
  assert.equal(hex(encode(0x0102030405)), '690504030201000000');
  assert.equal(hex(encode('')), '7300000000');
  assert.equal(hex(encode('é')), '7302000000c3a9'); // length in bytes, not characters
  assert.equal(hex(encode([true, false, null])), '6103000000' + '74666e');
  assert.equal(hex(encode({ 'é': null })), '6d01000000' + '02000000c3a9' + '6e');
  assert.equal(hex(encode([[], {}])), '6102000000' + '6100000000' + '6d00000000');
});

test('numbers that are not integers are refused with a TypeError naming them', () => {
  for (const n of [1.5, -0.25, NaN, Infinity, -Infinity]) {
    assert.throws(() => encode(n), (e: unknown) => e instanceof TypeError && e.message === `wire: ${n} is not an integer`, String(n));
  }
  assert.throws(() => encode({ nested: [1, 2.5] }), { name: 'TypeError', message: 'wire: 2.5 is not an integer' });
});

test('integers outside int64 are refused, never wrapped', () => {
  assert.throws(() => encode(2 ** 64), RangeError);
  assert.throws(() => encode(2n ** 63n), RangeError);
  assert.throws(() => encode(-(2n ** 63n) - 1n), RangeError);
});

test('every truncation of a valid payload is refused as truncated', () => {
  const full = encode({ a: [1, 'two', { three: null, four: Buffer.from([1, 2, 3]) }], b: true, 'ключ': -7 });
  assert.doesNotThrow(() => decode(full));
  for (let len = 0; len < full.length; len++) {
    assert.throws(() => decode(full.subarray(0, len)), { message: 'wire: truncated payload' }, `prefix of ${len} bytes`);
  }
});

test('a length or count larger than the payload is truncated, not an out-of-bounds read', () => {
  assert.throws(() => decode(Buffer.from('73ffffffff6162', 'hex')), { message: 'wire: truncated payload' });
  assert.throws(() => decode(Buffer.from('6d0100000005000000ab', 'hex')), { message: 'wire: truncated payload' });
  assert.throws(() => decode(Buffer.from('6102000000' + '6e', 'hex')), { message: 'wire: truncated payload' });
  assert.throws(() => decode(Buffer.from('61ffffffff', 'hex')), { message: 'wire: truncated payload' });
});

test('trailing bytes after the value are refused', () => {
  assert.throws(() => decode(Buffer.concat([encode(null), Buffer.from([0])])), { message: 'wire: trailing bytes' });
  assert.throws(() => decode(Buffer.concat([encode({ a: 1 }), encode({ b: 2 })])), { message: 'wire: trailing bytes' });
});

test('an unknown kind byte is refused and named', () => {
  assert.throws(() => decode(Buffer.from('x')), { message: 'wire: unknown kind "x"' });
  assert.throws(() => decode(Buffer.from('6101000000' + '7a', 'hex')), { message: 'wire: unknown kind "z"' });
  assert.throws(() => decode(Buffer.from('49', 'hex')), { message: 'wire: unknown kind "I"' }); // kinds are lower-case
});

test('nesting deeper than 32 is refused; 32 is accepted (as native/init/wire.cc)', () => {
  // depth(value) = number of containers around it; the top value is at depth 0.
  const nestedArrays = (containers: number) =>
    Buffer.concat([...Array.from({ length: containers }, () => Buffer.from('6101000000', 'hex')), Buffer.from('n')]);
  let expected: WireValue = null;
  for (let i = 0; i < 32; i++) expected = [expected];
  assert.deepEqual(decode(nestedArrays(32)), expected);
  assert.throws(() => decode(nestedArrays(33)), { message: 'wire: nested too deeply' });

  const nestedMaps = (containers: number) =>
    Buffer.concat([...Array.from({ length: containers }, () => Buffer.from('6d0100000001000000' + '6b', 'hex')), Buffer.from('t')]);
  assert.doesNotThrow(() => decode(nestedMaps(32)));
  assert.throws(() => decode(nestedMaps(33)), { message: 'wire: nested too deeply' });
});

test('a "__proto__" key round-trips as an own key', () => {
  const value = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as WireValue;
  const out = roundTrip(value) as Record<string, WireValue>;
  assert.deepEqual(Object.keys(out), ['__proto__', 'y']);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
});

test('encode: values past the first 4 kB (the writer grows) come back whole, byte for byte as their parts', () => {
  const long = 'é'.repeat(5000);
  const many = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, i % 2 ? `v${i}` : i]));
  const value = { long, many, list: [Buffer.alloc(3000, 7), long] };
  const buf = encode(value);
  assert.deepEqual(decode(buf), { ...value, list: [Buffer.alloc(3000, 7).toString('utf8'), long] });
  // A string is 's', its UTF-8 length (u32 LE), its bytes: at the start of the long string's entry.
  const at = buf.indexOf(Buffer.from('long', 'utf8')) + 4;
  assert.equal(String.fromCharCode(buf[at]), 's');
  assert.equal(buf.readUInt32LE(at + 1), Buffer.byteLength(long));
});
