import { describe, expect, it } from 'vitest';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { argon2id as hashWasmArgon2id } from 'hash-wasm';
import {
  argon2id,
  BACKUP_LENGTH,
  IdentityError,
  PiKey,
  type Argon2Params,
} from '../src/index.js';
import { ARGON2_PLAIN_SHA256, ARGON2_SIMD_SHA256 } from '../src/argon2-wasm.generated.js';
import { SEED, bytes, hex, rand } from './helpers.js';

const PASSWORD = 'correct horse battery staple';
/** The minimum the default policy accepts: keeps the many-restore tests fast. */
const FAST: Argon2Params = { memoryKiB: 16384, iterations: 2, parallelism: 1 };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (IdentityError.isInstance(error)) return error.code;
    throw error;
  }
  return 'OK';
}

describe(`Argon2id (seed ${SEED})`, () => {
  it('embeds exactly the wasm files of the installed argon2-browser', () => {
    const dir = dirname(createRequire(import.meta.url).resolve('argon2-browser/package.json'));
    const sha = (f: string) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
    expect(sha('dist/argon2-simd.wasm')).toBe(ARGON2_SIMD_SHA256);
    expect(sha('dist/argon2.wasm')).toBe(ARGON2_PLAIN_SHA256);
  });

  it('matches hash-wasm on random passwords, salts and parameters', async () => {
    for (let i = 0; i < 12; i++) {
      const password = bytes(1 + Math.floor(rand() * 40)); // hash-wasm refuses empty passwords
      const salt = bytes(8 + Math.floor(rand() * 24));
      const parallelism = 1 + Math.floor(rand() * 4);
      const params = { memoryKiB: 8 * parallelism + Math.floor(rand() * 2048), iterations: 1 + Math.floor(rand() * 3), parallelism };
      const hashLength = 4 + Math.floor(rand() * 60);
      const ours = await argon2id(password, salt, params, hashLength);
      const theirs = await hashWasmArgon2id({ password, salt, ...params, memorySize: params.memoryKiB, hashLength, outputType: 'binary' });
      expect(hex(ours), JSON.stringify(params)).toBe(hex(theirs));
    }
  });
});

describe(`encrypted backup (seed ${SEED})`, () => {
  it('round-trips with the default parameters (64 MiB, t=3, p=1)', async () => {
    const key = PiKey.generate();
    const backup = await key.createEncryptedBackup(PASSWORD);
    expect(backup.length).toBe(BACKUP_LENGTH);
    expect(new DataView(backup.buffer).getUint32(6)).toBe(65536);
    expect(new DataView(backup.buffer).getUint32(10)).toBe(3);
    expect(backup[14]).toBe(1);
    const restored = await PiKey.restore(backup, PASSWORD);
    expect(hex(restored.getPublicKey())).toBe(hex(key.getPublicKey()));
  });

  it('follows the documented layout: an independent Argon2id + AES-GCM decrypts it', async () => {
    const seed = bytes(32);
    const backup = await PiKey.fromSeed(seed).createEncryptedBackup(PASSWORD, { kdf: FAST });
    expect(Buffer.from(backup.subarray(0, 6)).toString('hex')).toBe('4544474201' + '02');
    const key = await hashWasmArgon2id({
      password: PASSWORD.normalize('NFKC'),
      salt: backup.slice(15, 31),
      iterations: 2,
      memorySize: 16384,
      parallelism: 1,
      hashLength: 32,
      outputType: 'binary',
    });
    const decipher = createDecipheriv('aes-256-gcm', key, backup.subarray(31, 43));
    decipher.setAAD(backup.subarray(0, 43));
    decipher.setAuthTag(backup.subarray(75, 91));
    const plain = Buffer.concat([decipher.update(backup.subarray(43, 75)), decipher.final()]);
    expect(plain.toString('hex')).toBe(hex(seed));
  });

  it('uses a fresh salt and nonce for every backup', async () => {
    const key = PiKey.generate();
    const a = await key.createEncryptedBackup(PASSWORD, { kdf: FAST });
    const b = await key.createEncryptedBackup(PASSWORD, { kdf: FAST });
    expect(hex(a.subarray(15, 43))).not.toBe(hex(b.subarray(15, 43)));
  });

  it('rejects a wrong password', async () => {
    const backup = await PiKey.generate().createEncryptedBackup(PASSWORD, { kdf: FAST });
    expect(await codeOf(PiKey.restore(backup, PASSWORD + '!'))).toBe('ERR_BACKUP_AUTH');
  });

  it('rejects every single-byte flip anywhere in the backup with a typed error', async () => {
    const backup = await PiKey.generate().createEncryptedBackup(PASSWORD, { kdf: FAST });
    const seen = new Map<string, number>();
    for (let i = 0; i < backup.length; i++) {
      const flipped = backup.slice();
      flipped[i]! ^= 0xff;
      const code = await codeOf(PiKey.restore(flipped, PASSWORD));
      expect(code, `byte ${i}`).not.toBe('OK');
      seen.set(code, (seen.get(code) ?? 0) + 1);
    }
    // Header bytes fail their own checks; KDF, salt, nonce and ciphertext fail authentication.
    expect(seen.get('ERR_BACKUP_FORMAT')).toBeGreaterThanOrEqual(4);
    expect(seen.get('ERR_BACKUP_VERSION')).toBeGreaterThanOrEqual(2);
    expect(seen.get('ERR_BACKUP_AUTH')).toBeGreaterThanOrEqual(76);
  });

  it('rejects truncated and extended backups', async () => {
    const backup = await PiKey.generate().createEncryptedBackup(PASSWORD, { kdf: FAST });
    for (let n = 0; n < backup.length; n++) {
      expect(await codeOf(PiKey.restore(backup.subarray(0, n), PASSWORD))).toBe('ERR_BACKUP_FORMAT');
    }
    expect(await codeOf(PiKey.restore(new Uint8Array([...backup, 0]), PASSWORD))).toBe('ERR_BACKUP_FORMAT');
  });

  it('refuses weak parameters on creation and on restore, and unknown versions', async () => {
    const key = PiKey.generate();
    expect(await codeOf(key.createEncryptedBackup(PASSWORD, { kdf: { memoryKiB: 1024 } }))).toBe('ERR_KDF_PARAMS');
    expect(await codeOf(key.createEncryptedBackup(PASSWORD, { kdf: { iterations: 1 } }))).toBe('ERR_KDF_PARAMS');
    // A backup made under a laxer policy (as an attacker could craft) is refused by the default one,
    // even with the right password.
    const weak = await key.createEncryptedBackup(PASSWORD, { kdf: { memoryKiB: 64, iterations: 1 }, policy: { minMemoryKiB: 8, minIterations: 1 } });
    expect(await codeOf(PiKey.restore(weak, PASSWORD))).toBe('ERR_KDF_PARAMS');
    expect(await codeOf(PiKey.restore(weak, PASSWORD, { policy: { minMemoryKiB: 8, minIterations: 1 } }))).toBe('OK');
    const huge = weak.slice();
    new DataView(huge.buffer).setUint32(6, 0x7fffffff);
    expect(await codeOf(PiKey.restore(huge, PASSWORD))).toBe('ERR_KDF_PARAMS');
    const v2 = weak.slice();
    v2[4] = 2;
    expect(await codeOf(PiKey.restore(v2, PASSWORD))).toBe('ERR_BACKUP_VERSION');
  });

  it('refuses passwords shorter than 8 characters, counting characters not bytes', async () => {
    const key = PiKey.generate();
    expect(await codeOf(key.createEncryptedBackup('1234567'))).toBe('ERR_WEAK_PASSWORD');
    expect(await codeOf(PiKey.restore(new Uint8Array(BACKUP_LENGTH), 'short'))).toBe('ERR_WEAK_PASSWORD');
    expect(await codeOf(key.createEncryptedBackup('ππππππππ', { kdf: FAST }))).toBe('OK');
  });

  it('normalises passwords (NFKC) so composed and decomposed forms open the same backup', async () => {
    const key = PiKey.generate();
    const backup = await key.createEncryptedBackup('caf\u00e9-password', { kdf: FAST });
    const restored = await PiKey.restore(backup, 'cafe\u0301-password');
    expect(hex(restored.getPublicKey())).toBe(hex(key.getPublicKey()));
  });
});
