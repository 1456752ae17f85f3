// Binary heaps on typed arrays: keys are float32 distances, values are int32 slots. They grow on
// demand (rarely: once per larger ef) and are reused across queries, so a search allocates nothing.

/** Min-heap: top is the smallest key. Ties are broken by the smaller value, for determinism. */
export class MinHeap {
  keys: Float32Array;
  vals: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.keys = new Float32Array(capacity);
    this.vals = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const k = new Float32Array(this.keys.length * 2);
    k.set(this.keys);
    const v = new Int32Array(this.vals.length * 2);
    v.set(this.vals);
    this.keys = k;
    this.vals = v;
  }

  push(key: number, val: number): void {
    if (this.size === this.keys.length) this.grow();
    const keys = this.keys, vals = this.vals;
    let i = this.size++;
    key = Math.fround(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p]!;
      if (pk < key || (pk === key && vals[p]! <= val)) break;
      keys[i] = pk;
      vals[i] = vals[p]!;
      i = p;
    }
    keys[i] = key;
    vals[i] = val;
  }

  /** Removes the top (read it first from keys[0] / vals[0]). */
  pop(): void {
    const n = --this.size;
    if (n <= 0) return;
    const keys = this.keys, vals = this.vals;
    const key = keys[n]!, val = vals[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (keys[r]! < keys[c]! || (keys[r] === keys[c] && vals[r]! < vals[c]!))) c = r;
      const ck = keys[c]!;
      if (key < ck || (key === ck && val <= vals[c]!)) break;
      keys[i] = ck;
      vals[i] = vals[c]!;
      i = c;
    }
    keys[i] = key;
    vals[i] = val;
  }
}

/** Max-heap: top is the largest key. Ties are broken by the larger value, for determinism. */
export class MaxHeap {
  keys: Float32Array;
  vals: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.keys = new Float32Array(capacity);
    this.vals = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const k = new Float32Array(this.keys.length * 2);
    k.set(this.keys);
    const v = new Int32Array(this.vals.length * 2);
    v.set(this.vals);
    this.keys = k;
    this.vals = v;
  }

  push(key: number, val: number): void {
    if (this.size === this.keys.length) this.grow();
    const keys = this.keys, vals = this.vals;
    let i = this.size++;
    key = Math.fround(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p]!;
      if (pk > key || (pk === key && vals[p]! >= val)) break;
      keys[i] = pk;
      vals[i] = vals[p]!;
      i = p;
    }
    keys[i] = key;
    vals[i] = val;
  }

  pop(): void {
    const n = --this.size;
    if (n <= 0) return;
    const keys = this.keys, vals = this.vals;
    const key = keys[n]!, val = vals[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (keys[r]! > keys[c]! || (keys[r] === keys[c] && vals[r]! > vals[c]!))) c = r;
      const ck = keys[c]!;
      if (key > ck || (key === ck && val >= vals[c]!)) break;
      keys[i] = ck;
      vals[i] = vals[c]!;
      i = c;
    }
    keys[i] = key;
    vals[i] = val;
  }
}
