// Test helpers: node:crypto as an independent Ed25519 / AES-GCM implementation to cross-check against.
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';

export const SEED = testSeed();
export const rand = prng(SEED);
export const bytes = (n: number) => seededBytes(rand, n);

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function nodeSignEd25519(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  return new Uint8Array(nodeSign(null, message, key));
}

export function nodeVerifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

export function nodePublicKey(seed: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}
