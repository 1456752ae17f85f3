/**
 * @packageDocumentation
 * @edge/rac: adversarial coherence for edge-net. Replicas that cannot trust each other agree on
 * what happened by keeping only what is signed, content-addressed and logged in a Merkle tree,
 * and punish only what verified evidence proves.
 *
 * - Signed claims ({@link signClaim} / {@link openClaim}) with content-addressed ids.
 * - An RFC 9162 Merkle log ({@link MerkleLog}) with inclusion and consistency proofs, and
 *   {@link setRoot} to compare replicated sets.
 * - Evidence ({@link verifyEvidence}): equivocation, wrong result, timeout, nonce reuse.
 * - Authorities and decisions ({@link verifyDecision}) needing more than 2/3 of the weight;
 *   stake-weighted votes ({@link tallyVotes}).
 * - Attack defences: admission cost ({@link solveAdmission}), eclipse checks
 *   ({@link createEclipseGuard}), Q-learning thresholds ({@link createAdaptivePolicy}), and
 *   the engine that composes them ({@link createRac}) with `runSecurityAudit()`.
 *
 * Threat model: docs/rac.md.
 */

export { CLAIM_TYPE, MAX_CLAIM_SIZE, contentId, signClaim, signClaimAsync, openClaim, openClaimSync, type Claim, type ClaimBody } from './claim.js';
export {
  HASH_LENGTH,
  EMPTY_ROOT,
  MerkleLog,
  leafHash,
  nodeHash,
  merkleRoot,
  rootOfLeafHashes,
  setRoot,
  verifyInclusion,
  verifyConsistency,
  assertInclusion,
} from './merkle.js';
export {
  MAX_EVIDENCE_SIZE,
  MAX_WITNESSES,
  TIMEOUT_CTX,
  CLAIM_SEQUENCE_RULE,
  decodeEvidence,
  verifyEvidence,
  verifyEvidenceSync,
  checkWitnessStake,
  equivocationEvidence,
  nonceReuseEvidence,
  wrongResultEvidence,
  timeoutEvidence,
  type EvidenceKind,
  type Fault,
  type SequenceRule,
  type EvidenceOptions,
  type VerifiedEvidence,
} from './evidence.js';
export {
  DECISION_TYPE,
  MAX_DECISION_SIZE,
  createAuthorityRegistry,
  signDecision,
  combineDecision,
  verifyDecision,
  tallyVotes,
  type AuthorityMember,
  type AuthorityRegistry,
  type Decision,
  type DecisionBody,
  type Tally,
} from './authority.js';
export { solveAdmission, verifyAdmission, assertAdmission, MAX_ADMISSION_BITS, ADMISSION_TOKEN_LENGTH } from './admission.js';
export { createEclipseGuard, type EclipseGuard, type EclipseOptions, type EclipseAssessment } from './eclipse.js';
export {
  ACTIONS,
  stateOf,
  createAdaptivePolicy,
  type AdaptivePolicy,
  type AdaptiveOptions,
  type SecurityAction,
  type SecuritySignals,
  type Thresholds,
} from './adaptive.js';
export {
  createRac,
  type Rac,
  type RacOptions,
  type Conflict,
  type QuarantineLevel,
  type QuarantineStatus,
  type AuditCheck,
  type SecurityAudit,
} from './engine.js';
export * from './errors.js';
