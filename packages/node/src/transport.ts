/**
 * The narrow network contract @edge/node needs. @edge/net implements it over libp2p (task
 * request/response streams, capability/load adverts on gossipsub, the ledger-sync stream); the
 * tests run several nodes in one process through an in-memory implementation of the same
 * contract. The node never sees libp2p types, so the whole task loop above the wire is the same
 * code on both.
 *
 * Every byte string that crosses this interface is a signed @edge/identity envelope (or an
 * @edge/economy sync message, whose content is checked entry by entry by the ledger); the
 * transport authenticates the connection, the node authenticates every message.
 */

/** A peer as the transport sees it. */
export interface PeerInfo {
  /** The peer's Ed25519 public key (its Pi-Key; also its libp2p identity). */
  readonly id: Uint8Array;
  /** Capabilities from its latest advert: task types, and `index:<name>@<version>` for replicas it holds. */
  readonly capabilities: readonly string[];
  /** Load from its latest advert: queued tasks / queue capacity, in [0, 1]. */
  readonly load: number;
  /** Round-trip time the transport observed (ping), ms, when known. */
  readonly latencyMs?: number;
}

export interface RequestOptions {
  /** Reject with a timeout TransportError after this many ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Answers one request (a signed envelope) with one response (a signed envelope). */
export type RequestHandler = (from: Uint8Array, request: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>;

export interface Transport {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Connected peers with their adverts. */
  peers(): PeerInfo[];
  /**
   * Sends a request to `peer` and resolves with its response. Rejects with a `TransportError`
   * (`timeout`, `aborted`, `unreachable`) — never hangs past `timeoutMs`.
   */
  request(peer: Uint8Array, request: Uint8Array, options: RequestOptions): Promise<Uint8Array>;
  /** Installs the handler for incoming requests (task offers, witness requests, index sync). */
  handle(handler: RequestHandler): void;
  /** Publishes this node's capabilities and load (gossip). */
  advertise(capabilities: readonly string[], load: number): void;
  /** The ledger-sync byte channel (the state-vector exchange of @edge/economy). */
  readonly ledger: LedgerChannel;
  /**
   * The rac evidence broadcast (net's `RAC_EVIDENCE_TOPIC`). Optional: a transport without it
   * only keeps its own evidence (a slash still reaches peers as a ledger entry).
   */
  readonly evidence?: EvidenceChannel;
}

/**
 * Broadcast of @edge/rac evidence. Nothing received here is trusted: the node verifies every
 * signature and rule with @edge/rac before it quarantines anyone.
 */
export interface EvidenceChannel {
  /** Sends evidence to every peer (gossip); `subject` is the accused's 32-byte Pi key. */
  publish(kind: string, subject: Uint8Array, evidence: Uint8Array): void | Promise<void>;
  /** Called for each evidence message a peer published (`from` = the publisher). */
  onEvidence(handler: (from: Uint8Array, kind: string, subject: Uint8Array, evidence: Uint8Array) => void): void;
}

/** What the node plugs into a ledger state-vector exchange (its @edge/economy replica). */
export interface LedgerSyncProvider {
  /** This replica's yjs state vector. */
  stateVector(): Uint8Array;
  /** The update a replica with state vector `remote` lacks. Throws a typed error for a bad vector. */
  diff(remote: Uint8Array): Uint8Array;
  /** Applies a peer's update (every entry inside is checked by the ledger). Rejects with a typed error for bad bytes. */
  apply(update: Uint8Array, from: Uint8Array): Promise<void>;
}

/**
 * Ledger replication (net's `LEDGER_SYNC` channel and `LEDGER_TOPIC` gossip). New entries are
 * gossiped as they are written; a state-vector exchange with a peer (on connect, periodically,
 * and whenever a gossiped update arrives without its predecessors) fills whatever gossip lost.
 */
export interface LedgerChannel {
  /** Answers state-vector exchanges that peers start. */
  serve(provider: LedgerSyncProvider): void;
  /** Runs one exchange with `peer`: afterwards both replicas hold the union. Rejects when it fails. */
  sync(peer: Uint8Array, provider: LedgerSyncProvider): Promise<void>;
  /** Gossips an update this node produced (best effort; the exchanges repair what is lost). */
  broadcast(update: Uint8Array): void | Promise<void>;
  /** Largest update `broadcast` carries; a larger one is left to the exchanges. */
  readonly maxBroadcast: number;
  /** Called for each gossiped update (`from` = the node that published it). */
  onUpdate(handler: (from: Uint8Array, update: Uint8Array) => void): void;
  /** Called when a peer connects (`up`) or goes away. */
  onPeer(handler: (peer: Uint8Array, up: boolean) => void): void;
}
