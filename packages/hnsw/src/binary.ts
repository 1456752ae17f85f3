// Little-endian byte writer and bounds-checked reader for snapshots and deltas.
import { hnswError, type HnswErrorCode } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }
  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** Float32 values src[start, start + n), little-endian. */
  f32s(src: Float32Array, start: number, n: number): void {
    this.reserve(n * 4);
    const v = this.view;
    let p = this.pos;
    for (let i = 0; i < n; i++, p += 4) v.setFloat32(p, src[start + i]!, true);
    this.pos = p;
  }
  /** Int32 values src[start, start + n), little-endian. */
  i32s(src: Int32Array, start: number, n: number): void {
    this.reserve(n * 4);
    const v = this.view;
    let p = this.pos;
    for (let i = 0; i < n; i++, p += 4) v.setInt32(p, src[start + i]!, true);
    this.pos = p;
  }
  align4(): void {
    while (this.pos & 3) this.u8(0);
  }
  /** An id: 0 + f64 for integers, 1 + u32 length + UTF-8 for strings. */
  id(id: number | string): void {
    if (typeof id === 'number') {
      this.u8(0);
      this.f64(id);
    } else {
      const b = encoder.encode(id);
      this.u8(1);
      this.u32(b.length);
      this.bytes(b);
    }
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class Reader {
  readonly view: DataView;
  pos = 0;

  constructor(
    readonly buf: Uint8Array,
    readonly code: HnswErrorCode,
    readonly end = buf.length,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(message: string): never {
    throw hnswError(this.code, message);
  }

  need(n: number): void {
    if (!(n >= 0) || this.pos + n > this.end) this.fail(`truncated at byte ${this.pos} (need ${n} more)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  skipAlign4(): void {
    while (this.pos & 3) {
      if (this.u8() !== 0) this.fail('non-zero padding');
    }
  }
  id(): number | string {
    const t = this.u8();
    if (t === 0) {
      const v = this.f64();
      if (!Number.isSafeInteger(v)) this.fail('integer id is not a safe integer');
      return v;
    }
    if (t === 1) {
      const n = this.u32();
      this.need(n);
      let s: string;
      try {
        s = decoder.decode(this.buf.subarray(this.pos, this.pos + n));
      } catch {
        this.fail('string id is not valid UTF-8');
      }
      this.pos += n;
      return s;
    }
    return this.fail(`unknown id type ${t}`);
  }
}
