// The plan wire format (native/init/wire.h): JSON-shaped data plus byte
// strings, length-prefixed, so tsrun-init decodes it without a JSON parser.
export type WireValue = null | boolean | number | bigint | string | Buffer | WireValue[] | { [key: string]: WireValue | undefined };

export function encode(value: WireValue): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function bytes(kind: string, data: Buffer, parts: Buffer[]): void {
  parts.push(Buffer.from(kind), u32(data.length), data);
}

function write(value: WireValue, parts: Buffer[]): void {
  if (value === null) parts.push(Buffer.from('n'));
  else if (value === true) parts.push(Buffer.from('t'));
  else if (value === false) parts.push(Buffer.from('f'));
  else if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) throw new TypeError(`wire: ${value} is not an integer`);
    const b = Buffer.alloc(9);
    b.write('i');
    b.writeBigInt64LE(BigInt(value), 1);
    parts.push(b);
  } else if (typeof value === 'string') bytes('s', Buffer.from(value, 'utf8'), parts);
  else if (Buffer.isBuffer(value)) bytes('s', value, parts);
  else if (Array.isArray(value)) {
    parts.push(Buffer.from('a'), u32(value.length));
    for (const v of value) write(v, parts);
  } else {
    // Keys whose value is undefined are left out, as JSON.stringify does.
    const entries = Object.entries(value).filter((e): e is [string, WireValue] => e[1] !== undefined);
    parts.push(Buffer.from('m'), u32(entries.length));
    for (const [k, v] of entries) {
      const key = Buffer.from(k, 'utf8');
      parts.push(u32(key.length), key);
      write(v, parts);
    }
  }
}

/**
 * Decodes a message payload. Integers come back as numbers, strings as utf8
 * strings, except the values of map keys in bytesKeys, which stay Buffers.
 */
export function decode(buf: Buffer, bytesKeys?: ReadonlySet<string>): WireValue {
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw new Error('wire: truncated payload');
  };
  const readU32 = () => {
    need(4);
    const n = buf.readUInt32LE(pos);
    pos += 4;
    return n;
  };
  const readString = () => {
    const len = readU32();
    need(len);
    const s = buf.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  const readBytes = () => {
    const len = readU32();
    need(len);
    const b = Buffer.from(buf.subarray(pos, pos + len));
    pos += len;
    return b;
  };
  const read = (depth: number, raw = false): WireValue => {
    if (depth > 32) throw new Error('wire: nested too deeply');
    need(1);
    const kind = String.fromCharCode(buf[pos++]);
    switch (kind) {
      case 'n': return null;
      case 't': return true;
      case 'f': return false;
      case 'i': {
        need(8);
        const n = buf.readBigInt64LE(pos);
        pos += 8;
        return Number(n);
      }
      case 's':
        return raw ? readBytes() : readString();
      case 'a': case 'm': {
        const n = readU32();
        if (kind === 'a') return Array.from({ length: n }, () => read(depth + 1));
        const out: { [key: string]: WireValue } = {};
        for (let i = 0; i < n; i++) {
          const key = readString();
          // defineProperty, so a key named __proto__ stays data.
          Object.defineProperty(out, key, { value: read(depth + 1, bytesKeys?.has(key)), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      default:
        throw new Error(`wire: unknown kind ${JSON.stringify(kind)}`);
    }
  };
  const v = read(0);
  if (pos !== buf.length) throw new Error('wire: trailing bytes');
  return v;
}
