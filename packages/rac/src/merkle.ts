/**
 * Merkle tree hashing of RFC 9162 (Certificate Transparency v2), section 2.1:
 *   MTH({})        = SHA-256()
 *   leaf hash      = SHA-256(0x00 || d)
 *   MTH(D[n])      = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n
 * with audit (inclusion) paths (section 2.1.3) and consistency proofs (section 2.1.4).
 *
 * `MerkleLog` is an append-only log that keeps the hash of every complete, aligned subtree of
 * 2^l leaves (at most 2n hashes). Every subtree the RFC recursion visits decomposes into
 * O(log n) of those, so the root, an inclusion proof and a consistency proof each cost
 * O(log n) hashes (O(log^2 n) in the worst case) instead of rehashing the log.
 */

import { ProofError, RacArgumentError } from './errors.js';
import { compareBytes, isBytes, sha256 } from './hash.js';

export const HASH_LENGTH = 32;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** SHA-256(0x00 || data): the hash of one leaf. */
export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(data.length + 1);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

const nodeBuf = new Uint8Array(1 + 2 * HASH_LENGTH);
/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeBuf[0] = NODE_PREFIX;
  nodeBuf.set(left, 1);
  nodeBuf.set(right, 1 + HASH_LENGTH);
  return sha256(nodeBuf);
}

/** The hash of the empty tree, SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The root of a tree whose leaf hashes are given (already `leafHash`ed). Bottom-up pairing that
 * carries an odd last node up unchanged builds exactly the RFC 9162 tree (the left subtree is
 * always the largest power of two), which the tests check against the recursive definition.
 */
export function rootOfLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT.slice();
  let level = hashes.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** The root over `items`, each hashed as a leaf, in the order given. */
export function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
  return rootOfLeafHashes(items.map(leafHash));
}

/**
 * The root of a *set*: items are sorted bytewise first, so replicas that hold the same set in
 * any arrival order compute the same root. Used to compare replicated ledgers.
 */
export function setRoot(items: Iterable<Uint8Array>): Uint8Array {
  const sorted = [...items].sort(compareBytes);
  return merkleRoot(sorted);
}

/** Verifies an RFC 9162 section 2.1.3.2 inclusion proof of the leaf at `index` in a tree of `size`. */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isBytes(leaf) || !isBytes(root) || root.length !== HASH_LENGTH || !Array.isArray(proof)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash(leaf);
  for (const p of proof) {
    if (!isBytes(p) || p.length !== HASH_LENGTH) return false;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && compareBytes(r, root) === 0;
}

/** Verifies an RFC 9162 section 2.1.4.2 consistency proof between trees of size `size1` and `size2`. */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1 || !Array.isArray(proof)) return false;
  if (!isBytes(root1) || !isBytes(root2)) return false;
  for (const p of proof) if (!isBytes(p) || p.length !== HASH_LENGTH) return false;
  if (size1 === size2) return proof.length === 0 && compareBytes(root1, root2) === 0;
  if (size1 === 0) return proof.length === 0;
  const path = proof.slice();
  // Step 1: if size1 is a power of two, prepend first_hash = root1.
  if ((size1 & (size1 - 1)) === 0) path.unshift(root1);
  if (path.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && compareBytes(fr, root1) === 0 && compareBytes(sr, root2) === 0;
}

/** An append-only authenticated log (see module comment). */
export class MerkleLog {
  /** levels[l][i] = hash of the complete subtree of 2^l leaves starting at leaf i * 2^l. */
  private readonly levels: Uint8Array[][] = [[]];

  /** Number of leaves. */
  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends one item (hashed as a leaf); returns its index. */
  append(item: Uint8Array): number {
    if (!isBytes(item)) throw new RacArgumentError('item must be a Uint8Array');
    return this.appendLeafHash(leafHash(item));
  }

  /** Appends an already leaf-hashed value. */
  appendLeafHash(hash: Uint8Array): number {
    if (!isBytes(hash) || hash.length !== HASH_LENGTH) throw new RacArgumentError('leaf hash must be 32 bytes');
    const index = this.levels[0]!.length;
    this.levels[0]!.push(hash.slice());
    let l = 0;
    let count = this.levels[0]!.length;
    while (count % 2 === 0) {
      const level = this.levels[l]!;
      const up = (this.levels[l + 1] ??= []);
      up.push(nodeHash(level[count - 2]!, level[count - 1]!));
      count = up.length;
      l++;
    }
    return index;
  }

  /** The leaf hash at `index`. */
  leafHashAt(index: number): Uint8Array {
    this.checkIndex(index, this.size);
    return this.levels[0]![index]!.slice();
  }

  /** MTH(D[start : start + n]) where the recursion keeps `start` aligned (RFC 9162 section 2.1.1). */
  private subtree(start: number, n: number): Uint8Array {
    if (n === 0) return EMPTY_ROOT;
    if ((n & (n - 1)) === 0) {
      const l = Math.log2(n);
      return this.levels[l]![start / n]!;
    }
    const k = largestPow2Below(n);
    return nodeHash(this.subtree(start, k), this.subtree(start + k, n - k));
  }

  /** The root of the first `size` leaves (default: all). */
  root(size = this.size): Uint8Array {
    this.checkSize(size);
    return this.subtree(0, size).slice();
  }

  /** Inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 9162 section 2.1.3.1). */
  proveInclusion(index: number, size = this.size): Uint8Array[] {
    this.checkSize(size);
    this.checkIndex(index, size);
    const out: Uint8Array[] = [];
    const path = (m: number, start: number, n: number) => {
      if (n <= 1) return;
      const k = largestPow2Below(n);
      if (m < k) {
        path(m, start, k);
        out.push(this.subtree(start + k, n - k).slice());
      } else {
        path(m - k, start + k, n - k);
        out.push(this.subtree(start, k).slice());
      }
    };
    path(index, 0, size);
    return out;
  }

  /** Consistency proof between the trees of the first `size1` and `size2` leaves (RFC 9162 section 2.1.4.1). */
  proveConsistency(size1: number, size2 = this.size): Uint8Array[] {
    this.checkSize(size2);
    if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) throw new RacArgumentError('size1 must be in [0, size2]');
    const out: Uint8Array[] = [];
    if (size1 === 0 || size1 === size2) return out;
    const subproof = (m: number, start: number, n: number, complete: boolean) => {
      if (m === n) {
        if (!complete) out.push(this.subtree(start, n).slice());
        return;
      }
      const k = largestPow2Below(n);
      if (m <= k) {
        subproof(m, start, k, complete);
        out.push(this.subtree(start + k, n - k).slice());
      } else {
        subproof(m - k, start + k, n - k, false);
        out.push(this.subtree(start, k).slice());
      }
    };
    subproof(size1, 0, size2, true);
    return out;
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new RacArgumentError(`size must be in [0, ${this.size}]`);
  }

  private checkIndex(index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RacArgumentError(`index must be in [0, ${size})`);
  }
}

/** Throws ProofError unless the inclusion proof verifies. */
export function assertInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): void {
  if (!verifyInclusion(leaf, index, size, proof, root)) throw new ProofError('inclusion proof does not verify');
}
