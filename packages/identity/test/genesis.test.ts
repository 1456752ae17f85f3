import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { decodeCanonical, encodeCanonical, GenesisKey, IdentityError, PiKey } from '../src/index.js';
import { SEED, hex } from './helpers.js';

describe(`GenesisKey (seed ${SEED})`, () => {
  const creator = PiKey.generate();

  it('derives the 21-byte id as documented and verifies', () => {
    const g = GenesisKey.create(creator, 'edge-net-main', 7, { now: () => 1234 });
    const name = Buffer.from('edge-net-main');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(name.length);
    const epoch = Buffer.alloc(8);
    epoch.writeBigUInt64BE(7n);
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from('edge-net/phi-genesis/v1\0'), creator.publicKey, len, name, epoch]))
      .digest()
      .subarray(0, 21);
    expect(hex(g.id)).toBe(expected.toString('hex'));
    expect(g.verify()).toBe(true);
    expect(g.getShortId()).toMatch(/^φ:[0-9a-f]{8}$/);
    expect(hex(GenesisKey.decode(g.encode()).id)).toBe(hex(g.id));
  });

  it('different networks, epochs or creators give different ids', () => {
    const ids = new Set([
      hex(GenesisKey.create(creator, 'a', 0).id),
      hex(GenesisKey.create(creator, 'b', 0).id),
      hex(GenesisKey.create(creator, 'a', 1).id),
      hex(GenesisKey.create(PiKey.generate(), 'a', 0).id),
    ]);
    expect(ids.size).toBe(4);
  });

  it('rejects any modified byte, a swapped creator, a forged id and bad input', () => {
    const bytes = GenesisKey.create(creator, 'edge-net-main', 1).encode();
    for (let i = 0; i < bytes.length; i++) {
      const t = bytes.slice();
      t[i]! ^= 0x40;
      expect(() => GenesisKey.decode(t), `byte ${i}`).toThrow(IdentityError);
    }
    const m = { ...(decodeCanonical(bytes) as { value: Record<string, unknown> }).value };
    expect(() => GenesisKey.decode(encodeCanonical({ ...m, creator: PiKey.generate().publicKey }))).toThrow(expect.objectContaining({ code: 'ERR_GENESIS' }));
    expect(() => GenesisKey.decode(encodeCanonical({ ...m, epoch: 2 }))).toThrow(expect.objectContaining({ code: 'ERR_GENESIS' }));
    expect(() => GenesisKey.create(creator, '', 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => GenesisKey.create(creator, 'x', -1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
