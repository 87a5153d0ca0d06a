// The plan wire format (native/init/wire.h): JSON-shaped data plus byte
// strings, length-prefixed, so tsrun-init decodes it without a JSON parser.
export type WireValue = null | boolean | number | bigint | string | Buffer | WireValue[] | { [key: string]: WireValue | undefined };

export function encode(value: WireValue): Buffer {
  const w = new Writer();
  write(value, w);
  return w.done();
}

/**
 * One growing buffer: a plan is a few hundred values, and a Buffer for each
 * tag and length (as Buffer.concat of parts) cost create about 2 ms.
 */
class Writer {
  private buf = Buffer.alloc(4096);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  tag(kind: 'n' | 't' | 'f' | 'i' | 's' | 'a' | 'm'): void {
    this.room(1);
    this.buf[this.pos++] = kind.charCodeAt(0);
  }

  u32(n: number): void {
    this.room(4);
    this.pos = this.buf.writeUInt32LE(n, this.pos);
  }

  i64(n: bigint): void {
    this.room(8);
    this.pos = this.buf.writeBigInt64LE(n, this.pos);
  }

  /** A length, then the bytes: of s as UTF-8, or of a Buffer as it is. */
  bytes(s: string | Buffer): void {
    const len = typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : s.length;
    this.u32(len);
    this.room(len);
    if (typeof s === 'string') this.buf.write(s, this.pos, len, 'utf8');
    else s.copy(this.buf, this.pos);
    this.pos += len;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function write(value: WireValue, w: Writer): void {
  if (value === null) w.tag('n');
  else if (value === true) w.tag('t');
  else if (value === false) w.tag('f');
  else if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) throw new TypeError(`wire: ${value} is not an integer`);
    w.tag('i');
    w.i64(BigInt(value));
  } else if (typeof value === 'string' || Buffer.isBuffer(value)) {
    w.tag('s');
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag('a');
    w.u32(value.length);
    for (const v of value) write(v, w);
  } else {
    // Keys whose value is undefined are left out, as JSON.stringify does.
    const entries = Object.entries(value).filter((e): e is [string, WireValue] => e[1] !== undefined);
    w.tag('m');
    w.u32(entries.length);
    for (const [k, v] of entries) {
      w.bytes(k);
      write(v, w);
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
