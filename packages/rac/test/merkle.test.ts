import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, fromHex } from '@edge/identity';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import { EMPTY_ROOT, MerkleLog, leafHash, merkleRoot, nodeHash, setRoot, verifyConsistency, verifyInclusion } from '../src/index.js';

const seed = testSeed();

/** RFC 9162 section 2.1.1, written as the recursion it is: the oracle. */
function mth(items: Uint8Array[]): Uint8Array {
  if (items.length === 0) return sha256(new Uint8Array(0));
  if (items.length === 1) return leafHash(items[0]!);
  let k = 1;
  while (k * 2 < items.length) k *= 2;
  return nodeHash(mth(items.slice(0, k)), mth(items.slice(k)));
}

// Leaves and roots of the Certificate Transparency reference test vectors (RFC 6962 test data).
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('Merkle tree (RFC 9162)', () => {
  it('matches the Certificate Transparency test vectors', () => {
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const log = new MerkleLog();
    CT_LEAVES.forEach((leaf, i) => {
      log.append(leaf);
      expect(toHex(log.root())).toBe(CT_ROOTS[i]);
      expect(toHex(merkleRoot(CT_LEAVES.slice(0, i + 1)))).toBe(CT_ROOTS[i]);
    });
  });

  it('bottom-up roots and the log equal the recursive definition for every size up to 70', () => {
    const rand = prng(seed);
    const items = Array.from({ length: 70 }, () => seededBytes(rand, 1 + Math.floor(rand() * 40)));
    const log = new MerkleLog();
    for (let n = 0; n <= 70; n++) {
      const oracle = toHex(mth(items.slice(0, n)));
      expect(toHex(merkleRoot(items.slice(0, n)))).toBe(oracle);
      expect(toHex(log.root())).toBe(oracle);
      if (n < 70) log.append(items[n]!);
    }
    for (let n = 0; n <= 70; n += 7) expect(toHex(log.root(n))).toBe(toHex(mth(items.slice(0, n))));
  });

  it('every inclusion proof verifies, and fails for another leaf, index or root', () => {
    const rand = prng(seed ^ 1);
    const items = Array.from({ length: 33 }, () => seededBytes(rand, 8));
    const log = new MerkleLog();
    items.forEach((x) => log.append(x));
    for (let size = 1; size <= 33; size++) {
      const root = log.root(size);
      for (let i = 0; i < size; i++) {
        const proof = log.proveInclusion(i, size);
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        expect(verifyInclusion(items[i]!, i, size, proof, root)).toBe(true);
        if (size > 1) expect(verifyInclusion(items[(i + 1) % size]!, i, size, proof, root)).toBe(false);
        if (size > 1) expect(verifyInclusion(items[i]!, (i + 1) % size, size, proof, root)).toBe(false);
        // (The size is authenticated with the root, as in a signed tree head: a proof is only
        // meaningful for the (size, root) pair it was made for.)
        expect(verifyInclusion(items[i]!, i, size, proof, log.root(size === 33 ? 1 : size + 1))).toBe(false);
      }
    }
  });

  it('consistency proofs verify between every pair of sizes and reject forks', () => {
    const rand = prng(seed ^ 2);
    const items = Array.from({ length: 24 }, () => seededBytes(rand, 8));
    const log = new MerkleLog();
    items.forEach((x) => log.append(x));
    const fork = new MerkleLog();
    items.forEach((x, i) => fork.append(i === 5 ? seededBytes(rand, 8) : x));
    for (let n = 1; n <= 24; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = log.proveConsistency(m, n);
        expect(verifyConsistency(m, n, proof, log.root(m), log.root(n))).toBe(true);
        if (m > 5 && m < n) expect(verifyConsistency(m, n, proof, fork.root(m), log.root(n))).toBe(false);
      }
    }
  });

  it('setRoot is independent of arrival order (two replicas of one set agree)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 16 }), { maxLength: 30 }), fc.nat(), (xs, k) => {
        const shuffled = [...xs];
        const r = prng(k);
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(toHex(setRoot(shuffled))).toBe(toHex(setRoot(xs)));
      }),
      { seed, numRuns: 200 },
    );
  });

  it('proof verifiers never throw on garbage (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer(), fc.integer(), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), (leaf, i, n, proof, root) => {
        expect(typeof verifyInclusion(leaf, i, n, proof, root)).toBe('boolean');
        expect(typeof verifyConsistency(i, n, proof, root, leaf)).toBe('boolean');
      }),
      { seed, numRuns: 2000 },
    );
    expect(verifyInclusion(null as never, 0, 1, null as never, null as never)).toBe(false);
  });
});
