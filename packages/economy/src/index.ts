/**
 * @packageDocumentation
 * @edge/economy: the rUv economy of edge-net.
 *
 * - A ledger nobody can forge ({@link openLedger}): per-account hash-chained entries signed with
 *   @edge/identity, replicated as a yjs document, balances as a deterministic fold that checks
 *   every entry (escrow, verified payments, witnessed bonus mints, stake with lock, slashing only
 *   on @edge/rac evidence), equivocations frozen and handed out as evidence.
 * - Sync over any byte channel ({@link createSyncSession}) and storage that survives a restart
 *   ({@link createMemoryStorage}; `openFileStorage` from `@edge/economy/node`).
 * - The contribution multiplier and network phases ({@link multiplierFor}, {@link phaseFor}),
 *   economic health, one reputation model ({@link reputationScore}), and a constant-product AMM
 *   ({@link createPool}) for task prices.
 *
 * Formulas, entry layout and the threat model: docs/economy.md.
 */

export {
  ENTRY_TYPE,
  WITNESS_TYPE,
  MAX_ENTRY_SIZE,
  MAX_ENTRY_WITNESSES,
  ZERO_HASH,
  LEDGER_SEQUENCE_RULE,
  signEntry,
  signEntryAsync,
  signWitness,
  decodeEntry,
  entryHash,
  entryNonce,
  toKey,
  type Entry,
  type EntryBody,
  type EntryFields,
  type EntryKind,
  type WitnessStatement,
} from './entry.js';
export { fold, type FoldInput, type FoldResult, type FoldTotals, type AccountState, type PaymentState, type Fork } from './fold.js';
export { openLedger, type Ledger, type LedgerAccount, type LedgerOptions, type LedgerStats, type AppendResult } from './ledger.js';
export {
  createSyncSession,
  encodeSyncMessage,
  decodeSyncMessage,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  DEFAULT_MAX_SYNC_MESSAGE,
  type SyncSession,
  type SyncOptions,
  type SyncMessage,
} from './sync.js';
export {
  createMemoryStorage,
  encodeRecord,
  decodeRecords,
  crc32,
  STORAGE_MAGIC,
  MAX_RECORD_SIZE,
  type LedgerStorage,
  type MemoryStorage,
  type DecodedRecords,
} from './storage.js';
export {
  createPolicy,
  multiplierFor,
  phaseFor,
  UNITS_PER_RUV,
  MAX_AMOUNT,
  type LedgerPolicy,
  type LedgerPolicyInput,
  type NetworkPhase,
  type ReputationParams,
  type SlashFault,
} from './policy.js';
export { economicHealth, selfSustaining, type EconomicHealth } from './health.js';
export {
  reputationScore,
  recordSuccess,
  recordFault,
  newReputationRecord,
  createReputationBook,
  type ReputationRecord,
  type ReputationBook,
} from './reputation.js';
export { createPool, type Pool, type PoolOptions, type PoolState, type Quote, type SwapSide } from './amm.js';
export { expNeg, halfLifeDecay } from './math.js';
export * from './errors.js';
