/**
 * Encrypted backup of a Pi-Key seed: Argon2id (RFC 9106) derives a 256-bit key from the
 * password and a random salt; AES-256-GCM seals the 32-byte seed; the whole header is the
 * associated data, so no byte of the backup can change without detection.
 *
 * Layout, version 1 (91 bytes, integers big-endian):
 *   0   4  magic "EDGB"
 *   4   1  format version = 1
 *   5   1  KDF id = 2 (Argon2id, version 0x13)
 *   6   4  memory in KiB
 *   10  4  iterations
 *   14  1  parallelism
 *   15  16 salt
 *   31  12 GCM nonce
 *   43  48 AES-256-GCM(seed) || tag         AAD = bytes 0..42
 *
 * Passwords are normalised to Unicode NFKC before hashing, so the same password typed on
 * different keyboards or platforms opens the backup.
 */

import { argon2id, type Argon2Params } from './argon2.js';
import { GcmKey, GCM_NONCE_LENGTH } from './aead.js';
import { randomBytes, readU32BE, utf8, writeU32BE, zeroize } from './bytes.js';
import {
  BackupAuthError,
  BackupFormatError,
  BackupVersionError,
  DecryptError,
  InvalidArgumentError,
  KdfParamsError,
  WeakPasswordError,
} from './errors.js';

export const BACKUP_MAGIC = new Uint8Array([0x45, 0x44, 0x47, 0x42]); // "EDGB"
export const BACKUP_VERSION = 1;
export const BACKUP_LENGTH = 91;
const HEADER_LENGTH = 43;
const KDF_ARGON2ID = 2;
export const MIN_PASSWORD_LENGTH = 8;

/** Default Argon2id cost: 64 MiB, 3 passes, 1 lane. */
export const DEFAULT_KDF_PARAMS: Readonly<Argon2Params> = Object.freeze({ memoryKiB: 65536, iterations: 3, parallelism: 1 });

/**
 * What a backup's KDF parameters must satisfy to be created or restored. The minimum (16 MiB,
 * 2 passes) keeps offline guessing expensive; the maximum stops a crafted backup from making a
 * restore allocate gigabytes or run for minutes.
 */
export interface KdfPolicy {
  minMemoryKiB: number;
  maxMemoryKiB: number;
  minIterations: number;
  maxIterations: number;
  maxParallelism: number;
}

export const DEFAULT_KDF_POLICY: Readonly<KdfPolicy> = Object.freeze({
  minMemoryKiB: 16384,
  maxMemoryKiB: 1048576,
  minIterations: 2,
  maxIterations: 64,
  maxParallelism: 16,
});

export interface BackupOptions {
  /** Argon2id parameters; default `DEFAULT_KDF_PARAMS`. */
  kdf?: Partial<Argon2Params>;
  /** Bounds the parameters must respect; default `DEFAULT_KDF_POLICY`. */
  policy?: Partial<KdfPolicy>;
}

export interface RestoreOptions {
  /** Bounds the backup's parameters must respect; default `DEFAULT_KDF_POLICY`. */
  policy?: Partial<KdfPolicy>;
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string') throw new InvalidArgumentError('password must be a string');
  const normalised = password.normalize('NFKC');
  if ([...normalised].length < MIN_PASSWORD_LENGTH) throw new WeakPasswordError(MIN_PASSWORD_LENGTH);
  return normalised;
}

function checkParams(params: Argon2Params, policy: KdfPolicy): void {
  const { memoryKiB, iterations, parallelism } = params;
  if (!Number.isInteger(memoryKiB) || !Number.isInteger(iterations) || !Number.isInteger(parallelism)) {
    throw new KdfParamsError('KDF parameters must be integers');
  }
  if (memoryKiB < policy.minMemoryKiB) throw new KdfParamsError(`KDF memory ${memoryKiB} KiB is below the minimum of ${policy.minMemoryKiB} KiB`);
  if (memoryKiB > policy.maxMemoryKiB) throw new KdfParamsError(`KDF memory ${memoryKiB} KiB is above the maximum of ${policy.maxMemoryKiB} KiB`);
  if (iterations < policy.minIterations) throw new KdfParamsError(`KDF iterations ${iterations} are below the minimum of ${policy.minIterations}`);
  if (iterations > policy.maxIterations) throw new KdfParamsError(`KDF iterations ${iterations} are above the maximum of ${policy.maxIterations}`);
  if (parallelism < 1 || parallelism > policy.maxParallelism || parallelism > 255) throw new KdfParamsError(`KDF parallelism ${parallelism} is out of range`);
  if (memoryKiB < 8 * parallelism) throw new KdfParamsError('KDF memory must be at least 8 KiB per lane');
}

/** Seals a 32-byte seed under a password. The seed is not modified. */
export async function sealSeed(seed: Uint8Array, password: string, options: BackupOptions = {}): Promise<Uint8Array> {
  const pw = checkPassword(password);
  const params: Argon2Params = { ...DEFAULT_KDF_PARAMS, ...options.kdf };
  checkParams(params, { ...DEFAULT_KDF_POLICY, ...options.policy });

  const out = new Uint8Array(BACKUP_LENGTH);
  out.set(BACKUP_MAGIC, 0);
  out[4] = BACKUP_VERSION;
  out[5] = KDF_ARGON2ID;
  writeU32BE(out, 6, params.memoryKiB);
  writeU32BE(out, 10, params.iterations);
  out[14] = params.parallelism;
  const salt = randomBytes(16);
  const nonce = randomBytes(GCM_NONCE_LENGTH);
  out.set(salt, 15);
  out.set(nonce, 31);

  const pwBytes = utf8(pw);
  const key = new GcmKey(await argon2id(pwBytes, salt, params, 32));
  try {
    out.set(await key.encrypt(nonce, seed, out.subarray(0, HEADER_LENGTH)), HEADER_LENGTH);
  } finally {
    key.destroy();
    zeroize(pwBytes);
  }
  return out;
}

/** Opens a backup and returns the seed (the caller zeroes it after use). */
export async function openSeed(backup: Uint8Array, password: string, options: RestoreOptions = {}): Promise<Uint8Array> {
  if (!(backup instanceof Uint8Array)) throw new InvalidArgumentError('backup must be a Uint8Array');
  const pw = checkPassword(password);
  if (backup.length < 5) throw new BackupFormatError('backup is truncated');
  for (let i = 0; i < 4; i++) if (backup[i] !== BACKUP_MAGIC[i]) throw new BackupFormatError('not an edge-net identity backup');
  if (backup[4] !== BACKUP_VERSION) throw new BackupVersionError(`unsupported backup version ${backup[4]}`);
  if (backup.length !== BACKUP_LENGTH) throw new BackupFormatError(`backup must be ${BACKUP_LENGTH} bytes, got ${backup.length}`);
  if (backup[5] !== KDF_ARGON2ID) throw new BackupVersionError(`unsupported KDF id ${backup[5]}`);
  const params: Argon2Params = { memoryKiB: readU32BE(backup, 6), iterations: readU32BE(backup, 10), parallelism: backup[14]! };
  checkParams(params, { ...DEFAULT_KDF_POLICY, ...options.policy });

  const pwBytes = utf8(pw);
  const key = new GcmKey(await argon2id(pwBytes, backup.slice(15, 31), params, 32));
  try {
    return await key.decrypt(backup.slice(31, 43), backup.slice(HEADER_LENGTH), backup.slice(0, HEADER_LENGTH));
  } catch (error) {
    if (error instanceof DecryptError) throw new BackupAuthError();
    throw error;
  } finally {
    key.destroy();
    zeroize(pwBytes);
  }
}
