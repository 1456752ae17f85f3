/**
 * The network: libp2p wired for edge-net, and the message layer on top of it.
 *
 * libp2p: the platform's transports (see platform.*.ts), Noise (XX handshake, Noise spec rev 34),
 * Yamux (hashicorp/yamux spec), identify, ping, gossipsub v1.1 (StrictSign), optional kad-dht,
 * bootstrap, circuit relay v2 (service for hubs; reservations by listening on `/p2p-circuit`).
 * The libp2p private key is made from the Pi-Key's seed, so the peer id *is* the Pi identity.
 *
 * Message layer: every inbound message goes through the same gate, in this order —
 *   banned? -> per-peer token bucket -> frame size -> envelope checks and signature, signer
 *   must be the sending peer -> body schema -> replay guard -> handler.
 * A rejection is counted under its code (per reason and per protocol/topic), logged once per
 * (peer, reason), and costs the peer score; at the ban threshold the peer is disconnected and
 * refused by the connection gater for a cool-down. Nothing a peer sends can throw out of a
 * handler: every path ends in a counted, typed rejection.
 */

import { createLibp2p, type Libp2p } from 'libp2p';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { bootstrap as bootstrapDiscovery } from '@libp2p/bootstrap';
import { gossipsub, TopicValidatorResult, type GossipSub, type Message as GossipMessage } from '@libp2p/gossipsub';
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { isPrivate, lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Connection, ConnectionGater, PeerId, Stream } from '@libp2p/interface';
import { createReplayGuard, IdentityError, zeroize, type PiKey, type Verifier } from '@edge/identity';
import {
  AbortedError,
  DialError,
  FramingError,
  InvalidArgumentError,
  MessageTooLargeError,
  NetError,
  NotStartedError,
  PeerBannedError,
  PeerFaultError,
  PeerNotFoundError,
  RateLimitedError,
  RegistrationError,
  RemoteError,
  StreamClosedError,
  TimeoutError,
  UnexpectedMessageError,
} from './errors.js';
import { decodeMessage, encodeMessage, type Incoming, type IncomingMessage, type Outgoing, type ReplayWindow } from './codec.js';
import { parsePeerId, peerIdOf, publicKeyOf } from './peer.js';
import { createRateLimiter } from './ratelimit.js';
import { createPeerScorer, type ScoreOptions } from './score.js';
import { createLatencyTable, type LatencyTable } from './latency.js';
import { ADVERTS_TOPIC, CAPABILITY_ADVERT, LOAD_ADVERT, createPeerTable, type CapabilityAdvert, type LoadAdvert, type PeerTable } from './adverts.js';
import { ERROR_MESSAGES, ERROR_TYPE, type ChannelDef, type ProtocolDef, type StateSyncMessages, type TopicDef } from './protocols.js';
import type { InferInput, MessageMap } from './schema.js';
import type { Platform } from './platform-types.js';

export interface RelayServiceOptions {
  /** Reservations held at once. Default 128. */
  maxReservations?: number;
  /** Bytes a relayed connection may carry (each direction). Default 16 MiB. */
  dataLimitBytes?: number;
  /** How long a relayed connection may last, ms. Default 10 minutes. */
  durationLimitMs?: number;
}

export interface NetworkOptions {
  /** The node's Pi-Key: its libp2p key and its message signer. */
  key: PiKey;
  /** Listen multiaddrs. Default: Node TCP + WebSockets on all interfaces; browsers `/p2p-circuit` + `/webrtc`. */
  listen?: string[];
  /** Addresses to announce instead of the listen addresses. */
  announce?: string[];
  /** Bootstrap multiaddrs (with `/p2p/<peer id>`); dialed on start and kept connected. */
  bootstrap?: string[];
  relay?: {
    /** Run a circuit relay v2 service (hubs). */
    service?: boolean | RelayServiceOptions;
    /** Reserve a slot on relays we connect to (listen on `/p2p-circuit`). */
    reserve?: boolean;
  };
  /** kad-dht for discovery at scale (`/edge-net/kad/1.0.0`). Default off. */
  dht?: boolean | { clientMode?: boolean };
  /** Allow dialing private and loopback addresses. Default: true in Node, false in browsers. */
  allowPrivateAddresses?: boolean;
  /** Subscribe to the adverts topic and keep the peer table. Default true. */
  adverts?: boolean;
  /** Replay window and guard size. Defaults: 2 min back, 30 s ahead, 100 000 entries. */
  replay?: { maxAgeMs?: number; maxFutureMs?: number; maxEntries?: number };
  /** Peer scoring and bans. */
  score?: ScoreOptions;
  /** Ping connected peers this often to measure latency; 0 disables. Default 15 000. */
  pingIntervalMs?: number;
  /** Most connections. Default 128. */
  maxConnections?: number;
  /** Where rejection lines go (once per peer and reason). Default `console.warn`. */
  log?: (line: string) => void;
  /** Clock (ms) for replay windows, rate limits, scores and adverts. */
  now?: () => number;
  /** Signature verifier. Default @edge/identity's shared one. */
  verifier?: Verifier;
  /** How often a bootstrap peer that is not connected is dialed again, ms. Default 5 000. */
  bootstrapRetryMs?: number;
  /** How long `start()` waits for the first bootstrap connection, ms. Default 5 000. */
  bootstrapTimeoutMs?: number;
}

/** Handed to a request handler. */
export interface RequestContext {
  /** The peer that opened the stream (also the signer of the request). */
  readonly peer: string;
  /** Whether the connection is relayed (limited). */
  readonly limited: boolean;
  /** Aborted when the request times out or the network stops. */
  readonly signal: AbortSignal;
}

export interface RequestOptions {
  /** Default: the protocol's `timeoutMs`. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One side of an open channel: send and receive signed, schema-checked frames. */
export interface ChannelSession<M extends MessageMap> {
  readonly peer: string;
  readonly limited: boolean;
  send<K extends keyof M & string>(type: K, body: InferInput<M[K]>): Promise<void>;
  /** The next frame; with `type`, any other type is `ERR_UNEXPECTED_MESSAGE`. */
  receive<K extends keyof M & string>(type?: K): Promise<Extract<Incoming<M>, { type: K }>>;
  /** Closes the stream gracefully. */
  close(): Promise<void>;
  /** Resets the stream. */
  abort(reason?: Error): void;
}

/**
 * What a state-sync channel exchanges, left opaque here: the node plugs in @edge/economy's
 * yjs document (`encodeStateVector`, `encodeStateAsUpdate(doc, sv)`, `applyUpdate`).
 */
export interface StateSyncProvider {
  stateVector(): Uint8Array | Promise<Uint8Array>;
  /** The update a peer with state vector `remote` lacks. */
  diff(remote: Uint8Array, peer: string): Uint8Array | Promise<Uint8Array>;
  /** Applies a peer's update; throw a typed error to reject it (it is counted and scored). */
  apply(update: Uint8Array, peer: string): void | Promise<void>;
}

export interface SyncResult {
  readonly peer: string;
  readonly sentBytes: number;
  readonly receivedBytes: number;
}

export interface NetworkStats {
  readonly peerId: string;
  readonly started: boolean;
  readonly connections: number;
  readonly limitedConnections: number;
  readonly peers: number;
  readonly rejected: {
    readonly total: number;
    readonly byReason: Readonly<Record<string, number>>;
    readonly byChannel: Readonly<Record<string, number>>;
  };
  readonly accepted: { readonly requests: number; readonly responses: number; readonly gossip: number; readonly channelFrames: number };
  readonly sent: { readonly requests: number; readonly gossip: number; readonly channelFrames: number };
  readonly bans: { readonly active: number; readonly total: number; readonly peers: readonly string[] };
  readonly adverts: number;
  readonly latency: { readonly peers: number; readonly medianMs: number | null };
  readonly replayGuardSize: number;
}

export interface NetworkEvents {
  'peer:connect': { peer: string };
  'peer:disconnect': { peer: string };
  'peer:banned': { peer: string; reason: string };
  'peer:unbanned': { peer: string };
  rejected: { peer: string; channel: string; code: string };
  advert: { peer: string; type: string };
}

type Services = {
  identify: ReturnType<ReturnType<typeof identify>>;
  ping: ReturnType<ReturnType<typeof ping>>;
  pubsub: GossipSub;
} & Record<string, unknown>;

export interface Network {
  /** This node's peer id (the Pi-Key's, libp2p form). */
  readonly peerId: string;
  /** This node's 32-byte Pi public key. */
  readonly publicKey: Uint8Array;
  /** The libp2p node, for what this layer does not wrap. */
  readonly libp2p: Libp2p<Services>;
  /** Latest capability and load advert per peer. */
  readonly peerTable: PeerTable;
  /** Observed round trips per peer. */
  readonly latency: LatencyTable;
  readonly started: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  getMultiaddrs(): string[];
  /** Dials a multiaddr or a known peer; returns the peer id. */
  dial(target: string | Multiaddr | PeerId, options?: { signal?: AbortSignal }): Promise<string>;
  hangUp(peer: string | PeerId): Promise<void>;
  connectedPeers(): string[];
  /** Whether every open connection to `peer` is relayed (limited). */
  isLimited(peer: string): boolean;
  /** Bans a peer now (disconnect + refuse for the cool-down). */
  ban(peer: string, reason?: string): void;
  /** Lifts a ban (manual or earned) and forgives the peer's score; dial it again to reconnect. */
  unban(peer: string): void;
  isBanned(peer: string): boolean;

  handle<Req extends MessageMap, Res extends MessageMap>(
    def: ProtocolDef<Req, Res>,
    handler: (message: Incoming<Req>, context: RequestContext) => Promise<Outgoing<Res>> | Outgoing<Res>,
  ): Promise<void>;
  unhandle(def: ProtocolDef): Promise<void>;
  request<Req extends MessageMap, Res extends MessageMap, K extends keyof Req & string>(
    peer: string | PeerId,
    def: ProtocolDef<Req, Res>,
    type: K,
    body: InferInput<Req[K]>,
    options?: RequestOptions,
  ): Promise<Incoming<Res>>;

  subscribe<M extends MessageMap>(def: TopicDef<M>, handler: (message: Incoming<M>, from: { propagationSource: string }) => void): () => void;
  publish<M extends MessageMap, K extends keyof M & string>(def: TopicDef<M>, type: K, body: InferInput<M[K]>): Promise<number>;
  /** Peers we know to be subscribed to a topic. */
  topicPeers(def: TopicDef): string[];

  handleChannel<M extends MessageMap>(def: ChannelDef<M>, handler: (session: ChannelSession<M>) => Promise<void>): Promise<void>;
  openChannel<M extends MessageMap>(peer: string | PeerId, def: ChannelDef<M>, options?: { signal?: AbortSignal }): Promise<ChannelSession<M>>;
  serveStateSync(def: ChannelDef<StateSyncMessages>, provider: StateSyncProvider): Promise<void>;
  syncState(peer: string | PeerId, def: ChannelDef<StateSyncMessages>, provider: StateSyncProvider, options?: { signal?: AbortSignal }): Promise<SyncResult>;

  /** Publishes a capability or load advert on the adverts topic. */
  advertise(type: typeof CAPABILITY_ADVERT, body: CapabilityAdvert): Promise<number>;
  advertise(type: typeof LOAD_ADVERT, body: LoadAdvert): Promise<number>;
  /** Looks a peer's addresses up through peer routing (kad-dht when enabled). */
  findPeer(peer: string | PeerId, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<string[]>;
  /** Pings a peer; the round trip (ms) is also recorded in `latency`. */
  ping(peer: string | PeerId, options?: { signal?: AbortSignal }): Promise<number>;

  getNetworkStats(): NetworkStats;
  on<E extends keyof NetworkEvents>(event: E, listener: (detail: NetworkEvents[E]) => void): () => void;
}

const LOG_ONCE_LIMIT = 10_000;

function codeOf(error: unknown): string {
  if (NetError.isInstance(error) || IdentityError.isInstance(error)) return error.code;
  const name = (error as { name?: string } | null)?.name;
  // A length prefix whose own encoding is longer than the limit's also announces an oversized frame.
  if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') return 'ERR_MESSAGE_TOO_LARGE';
  if (name === 'InvalidMessageLengthError') return 'ERR_FRAMING';
  if (name === 'UnexpectedEOFError' || name === 'StreamResetError' || name === 'StreamClosedError' || name === 'StreamStateError' || name === 'StreamAbortedError') {
    return 'ERR_STREAM_CLOSED';
  }
  if (name === 'AbortError' || name === 'TimeoutError') return 'ERR_TIMEOUT';
  return 'ERR_INTERNAL';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps a low-level stream error to our typed error. */
function toNetError(error: unknown, what: string, maxBytes: number, signal?: AbortSignal, timeoutMs?: number): NetError | IdentityError {
  if (NetError.isInstance(error) || IdentityError.isInstance(error)) return error;
  const code = codeOf(error);
  if (code === 'ERR_MESSAGE_TOO_LARGE') return new MessageTooLargeError(undefined, maxBytes);
  if (code === 'ERR_FRAMING') return new FramingError(messageOf(error));
  if (code === 'ERR_TIMEOUT') {
    const reason = signal?.reason as { name?: string } | undefined;
    if (reason?.name === 'TimeoutError' || timeoutMs === undefined) return new TimeoutError(what, timeoutMs ?? 0);
    return new AbortedError(what);
  }
  return new StreamClosedError(`${what}: ${messageOf(error)}`, { cause: error });
}

function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  return list.length === 1 ? list[0]! : AbortSignal.any(list);
}

/** Builds the network on a platform (the `#platform` variant chosen by package conditions). */
export async function createNetworkOn(platform: Platform, options: NetworkOptions): Promise<Network> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options are required');
  const key = options.key;
  if (key === undefined || typeof (key as PiKey).exportSeed !== 'function') throw new InvalidArgumentError('options.key must be a PiKey');
  platform.prepare();

  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.warn(line));
  const allowPrivate = options.allowPrivateAddresses ?? platform.allowPrivateByDefault;
  const replayOpts = { maxAgeMs: options.replay?.maxAgeMs ?? 120_000, maxFutureMs: options.replay?.maxFutureMs ?? 30_000 };
  const guard = createReplayGuard({ ...replayOpts, maxEntries: options.replay?.maxEntries ?? 100_000, now });
  const replay: ReplayWindow = { guard, ...replayOpts, now };
  const verifier = options.verifier;
  const limiter = createRateLimiter({ now });
  const scorer = createPeerScorer({ ...options.score, now });
  const latency = createLatencyTable({ now });
  const peerTable = createPeerTable({ now });
  const publicKey = key.publicKey.slice();
  const selfId = peerIdOf(publicKey);

  // ---- counters ----
  const byReason = new Map<string, number>();
  const byChannel = new Map<string, number>();
  let rejectedTotal = 0;
  const accepted = { requests: 0, responses: 0, gossip: 0, channelFrames: 0 };
  const sent = { requests: 0, gossip: 0, channelFrames: 0 };
  const logged = new Set<string>();

  // ---- events ----
  const listeners = new Map<string, Set<(detail: never) => void>>();
  const emit = <E extends keyof NetworkEvents>(event: E, detail: NetworkEvents[E]) => {
    for (const l of listeners.get(event) ?? []) {
      try {
        (l as (d: NetworkEvents[E]) => void)(detail);
      } catch (error) {
        log(`[edge/net] ${event} listener failed: ${messageOf(error)}`);
      }
    }
  };

  // libp2p is assigned below; the gater and reject() only run after it exists.
  let node!: Libp2p<Services>;

  // Errors already counted, so that a handler rethrowing a session's error is not counted twice.
  const counted = new WeakSet<object>();

  /** Counts, logs once, scores; returns the code. Never throws. */
  const reject = (peer: string, channel: string, error: unknown): string => {
    const code = codeOf(error);
    if (typeof error === 'object' && error !== null) counted.add(error);
    rejectedTotal++;
    byReason.set(code, (byReason.get(code) ?? 0) + 1);
    byChannel.set(channel, (byChannel.get(channel) ?? 0) + 1);
    const once = `${peer}|${code}`;
    if (!logged.has(once)) {
      if (logged.size >= LOG_ONCE_LIMIT) logged.clear();
      logged.add(once);
      log(`[edge/net] rejected ${code} from ${peer} on ${channel}: ${messageOf(error).slice(0, 200)}`);
    }
    emit('rejected', { peer, channel, code });
    if (peer !== selfId && code !== 'ERR_INTERNAL' && scorer.penalize(peer, code)) {
      log(`[edge/net] banned ${peer} (score ${scorer.score(peer).toFixed(0)}, last ${code})`);
      emit('peer:banned', { peer, reason: code });
      if (node !== undefined) void node.hangUp(parsePeerId(peer)).catch(() => {});
    }
    return code;
  };

  const banned = (peer: PeerId | string) => scorer.isBanned(peer.toString());
  const gater: ConnectionGater = {
    denyDialMultiaddr: (ma: Multiaddr) => {
      if (allowPrivate) return false;
      const s = ma.toString();
      // Browsers: no private addresses, no insecure WebSockets (as libp2p's browser default).
      if (/\/ws(\/|$)/.test(s) && !/\/(tls|wss)(\/|$)/.test(s)) return true;
      return isPrivate(ma) === true;
    },
    denyDialPeer: banned,
    denyInboundEncryptedConnection: banned,
    denyOutboundEncryptedConnection: banned,
    denyInboundRelayedConnection: (_relay: PeerId, remote: PeerId) => banned(remote),
    denyOutboundRelayedConnection: (source: PeerId, destination: PeerId) => banned(source) || banned(destination),
    denyInboundRelayReservation: banned,
  };

  // ---- libp2p ----
  const seed = key.exportSeed();
  let privateKey;
  try {
    privateKey = await generateKeyPairFromSeed('Ed25519', seed);
  } finally {
    zeroize(seed);
  }
  const listen = [...(options.listen ?? platform.defaultListen())];
  if (options.relay?.reserve === true && !listen.includes('/p2p-circuit')) listen.push('/p2p-circuit');
  const bootstrapList = options.bootstrap ?? [];
  for (const a of bootstrapList) {
    try {
      multiaddr(a);
    } catch {
      throw new InvalidArgumentError(`bootstrap address ${JSON.stringify(a)} is not a multiaddr`);
    }
  }
  const dht = options.dht === undefined || options.dht === false ? undefined : options.dht === true ? {} : options.dht;
  const relayService = options.relay?.service === undefined || options.relay.service === false ? undefined : options.relay.service === true ? {} : options.relay.service;

  const services: Record<string, unknown> = {
    identify: identify({ runOnLimitedConnection: true }),
    ping: ping({ runOnLimitedConnection: true, maxOutboundStreams: dht !== undefined ? 16 : 2, maxInboundStreams: 4 }),
    pubsub: gossipsub({
      allowPublishToZeroTopicPeers: true,
      runOnLimitedConnection: true,
      emitSelf: false,
      maxInboundDataLength: 1 << 20,
      // Gossip is cheap to send and expensive to validate: keep validation bounded.
      messageProcessingConcurrency: 16,
      // gossipsub's IP colocation penalty (P6) graylists every peer behind an address shared by
      // more than 10 peers. Browser nodes arrive through a hub's relay and many nodes share a NAT,
      // so it would graylist honest peers; abuse is scored per peer by this layer instead.
      scoreParams: { IPColocationFactorWeight: 0 },
    }),
  };
  if (relayService !== undefined) {
    services.relay = circuitRelayServer({
      reservations: {
        maxReservations: relayService.maxReservations ?? 128,
        applyDefaultLimit: true,
        defaultDataLimit: BigInt(relayService.dataLimitBytes ?? 16 * 1024 * 1024),
        defaultDurationLimit: relayService.durationLimitMs ?? 600_000,
      },
    });
  }
  if (dht !== undefined) {
    services.dht = kadDHT({
      protocol: '/edge-net/kad/1.0.0',
      clientMode: dht.clientMode ?? false,
      peerInfoMapper: allowPrivate ? passthroughMapper : removePrivateAddressesMapper,
    });
  }

  try {
    node = (await createLibp2p({
      privateKey,
      start: false,
      addresses: { listen, ...(options.announce !== undefined ? { announce: options.announce } : {}) },
      transports: platform.transports(),
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: bootstrapList.length > 0 ? [bootstrapDiscovery({ list: bootstrapList })] : [],
      connectionGater: gater,
      connectionManager: { maxConnections: options.maxConnections ?? 128 },
      services: services as never,
    })) as unknown as Libp2p<Services>;
  } catch (error) {
    throw new InvalidArgumentError(`libp2p configuration refused: ${messageOf(error)}`);
  }
  if (node.peerId.toString() !== selfId) throw new InvalidArgumentError('libp2p key does not match the Pi-Key');
  const pubsub = node.services.pubsub;

  node.addEventListener('peer:connect', (e) => emit('peer:connect', { peer: e.detail.toString() }));
  node.addEventListener('peer:disconnect', (e) => emit('peer:disconnect', { peer: e.detail.toString() }));

  let running = false;
  let lifecycle = new AbortController();
  let pinger: ReturnType<typeof setInterval> | undefined;
  let rejoin: ReturnType<typeof setInterval> | undefined;

  const requireStarted = () => {
    if (!running) throw new NotStartedError();
  };

  const connectionsTo = (peer: string): Connection[] => node.getConnections(parsePeerId(peer));

  // ---------------- request / response ----------------

  const handled = new Map<string, ProtocolDef>();
  const handledChannels = new Map<string, ChannelDef>();

  const writeErrorReply = async (lp: LengthPrefixedStream<Stream>, def: ProtocolDef, code: string, message: string, signal: AbortSignal) => {
    const bytes = await encodeMessage(key, ERROR_MESSAGES, ERROR_TYPE, { code, message: message.slice(0, 512) }, def.maxBytes);
    await lp.write(bytes, { signal });
  };

  const handle: Network['handle'] = async (def, handler) => {
    if (handled.has(def.id) || handledChannels.has(def.id)) throw new RegistrationError(`${def.id} is already handled`);
    handled.set(def.id, def);
    await node.handle(
      def.id,
      async (stream: Stream, connection: Connection) => {
        const peer = connection.remotePeer.toString();
        if (banned(peer)) {
          stream.abort(new PeerBannedError(peer));
          return;
        }
        if (!limiter.take(`${peer}|${def.id}`, def.rate)) {
          reject(peer, def.id, new RateLimitedError(def.id));
          stream.abort(new RateLimitedError(def.id));
          return;
        }
        const signal = anySignal([AbortSignal.timeout(def.timeoutMs), lifecycle.signal]);
        const lp = lpStream(stream, { maxDataLength: def.maxBytes });
        let message: Incoming<MessageMap>;
        try {
          const frame = await lp.read({ signal });
          message = await decodeMessage(frame.subarray(), def.requests, { maxBytes: def.maxBytes, replay, expectFrom: publicKeyOf(connection.remotePeer), ...(verifier ? { verifier } : {}) });
        } catch (error) {
          const e = toNetError(error, `${def.id} request`, def.maxBytes, signal, def.timeoutMs);
          reject(peer, def.id, e);
          stream.abort(e);
          return;
        }
        accepted.requests++;
        let reply: Outgoing<MessageMap>;
        try {
          reply = await handler(message as never, { peer, limited: connection.limits !== undefined, signal });
        } catch (error) {
          // The handler refused: answer with its typed code (never internal details).
          const typed = NetError.isInstance(error) || IdentityError.isInstance(error) || typeof (error as { code?: unknown })?.code === 'string';
          const code = typed ? String((error as { code: string }).code) : 'ERR_HANDLER';
          // The sender's fault, as the handler proved it: counted and scored like net's own refusals.
          if (error instanceof PeerFaultError) reject(peer, def.id, error);
          try {
            await writeErrorReply(lp, def, /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'ERR_HANDLER', typed ? messageOf(error) : 'handler failed', signal);
            await stream.close({ signal });
          } catch {
            stream.abort(new StreamClosedError('reply failed'));
          }
          if (!typed) log(`[edge/net] handler of ${def.id} failed: ${messageOf(error)}`);
          return;
        }
        try {
          const bytes = await encodeMessage(key, def.responses, reply.type, reply.body, def.maxBytes);
          await lp.write(bytes, { signal });
          await stream.close({ signal });
        } catch (error) {
          if (NetError.isInstance(error) && (error.code === 'ERR_SCHEMA' || error.code === 'ERR_INVALID_ARGUMENT' || error.code === 'ERR_MESSAGE_TOO_LARGE')) {
            log(`[edge/net] handler of ${def.id} produced an invalid reply: ${error.message}`);
            try {
              await writeErrorReply(lp, def, 'ERR_HANDLER', 'handler produced an invalid reply', signal);
              await stream.close({ signal });
              return;
            } catch {
              /* fall through to abort */
            }
          }
          stream.abort(error instanceof Error ? error : new Error(String(error)));
        }
      },
      { runOnLimitedConnection: true, maxInboundStreams: def.maxInboundStreams, maxOutboundStreams: def.maxInboundStreams },
    );
  };

  const unhandle: Network['unhandle'] = async (def) => {
    handled.delete(def.id);
    handledChannels.delete(def.id);
    await node.unhandle(def.id);
  };

  const openStream = async (peer: PeerId, protocol: string, signal: AbortSignal): Promise<Stream> => {
    if (banned(peer)) throw new PeerBannedError(peer.toString());
    try {
      return await node.dialProtocol(peer, protocol, { signal, runOnLimitedConnection: true });
    } catch (error) {
      if (signal.aborted) throw toNetError(error, `dial ${protocol}`, 0, signal, undefined);
      throw new DialError(`cannot open ${protocol} to ${peer.toString()}: ${messageOf(error)}`, { cause: error });
    }
  };

  const request: Network['request'] = async (peerArg, def, type, body, opts = {}) => {
    requireStarted();
    const peer = parsePeerId(peerArg);
    const peerStr = peer.toString();
    const timeoutMs = opts.timeoutMs ?? def.timeoutMs;
    if (!(timeoutMs > 0)) throw new InvalidArgumentError('timeoutMs must be > 0');
    if (opts.signal?.aborted === true) throw new AbortedError(`request ${def.id}`);
    // Sign first: a schema error is the caller's bug and needs no stream.
    const bytes = await encodeMessage(key, def.requests, type, body, def.maxBytes);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = anySignal([timeout, opts.signal, lifecycle.signal]);
    const what = `request ${def.id} to ${peerStr}`;
    const stream = await openStream(peer, def.id, signal).catch((error: unknown) => {
      throw timeout.aborted ? new TimeoutError(what, timeoutMs) : opts.signal?.aborted === true ? new AbortedError(what) : error;
    });
    const lp = lpStream(stream, { maxDataLength: def.maxBytes });
    let frame: Uint8Array;
    const t0 = performance.now();
    try {
      await lp.write(bytes, { signal });
      sent.requests++;
      frame = (await lp.read({ signal })).subarray();
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
      if (timeout.aborted) throw new TimeoutError(what, timeoutMs);
      if ((opts.signal as AbortSignal | undefined)?.aborted === true) throw new AbortedError(what);
      const e = toNetError(error, what, def.maxBytes);
      // A responder that sends an oversized or unframed reply misbehaves; a reset does not.
      if (e.code === 'ERR_MESSAGE_TOO_LARGE' || e.code === 'ERR_FRAMING') reject(peerStr, def.id, e);
      throw e;
    }
    const rtt = performance.now() - t0;
    let reply: Incoming<MessageMap>;
    try {
      reply = await decodeMessage(frame, { ...def.responses, ...ERROR_MESSAGES }, { maxBytes: def.maxBytes, replay, expectFrom: publicKeyOf(peer), ...(verifier ? { verifier } : {}) });
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
      reject(peerStr, def.id, error);
      throw error;
    }
    void stream.close({ signal: AbortSignal.timeout(1000) }).catch(() => stream.abort(new StreamClosedError('close failed')));
    latency.record(peerStr, rtt, 'request');
    accepted.responses++;
    if (reply.type === ERROR_TYPE) {
      const b = reply.body as { code: string; message: string };
      throw new RemoteError(b.code, b.message);
    }
    return reply as never;
  };

  // ---------------- gossip ----------------

  const topicHandlers = new Map<string, { def: TopicDef; handlers: Set<(m: never, from: { propagationSource: string }) => void> }>();
  const decodedGossip = new WeakMap<GossipMessage, IncomingMessage>();

  const installTopic = (def: TopicDef) => {
    pubsub.topicValidators.set(def.topic, async (source: PeerId, msg: GossipMessage) => {
      const peer = source.toString();
      // The rate limit binds the publisher (gossipsub's signed `from`): an honest forwarder that
      // relays someone's burst is not the one to slow down or blame. Invalid messages are
      // charged to the forwarder, which should have validated them before forwarding.
      const publisher = msg.type === 'signed' ? msg.from.toString() : peer;
      if (banned(peer) || banned(publisher)) return TopicValidatorResult.Ignore;
      if (!limiter.take(`${publisher}|${def.topic}`, def.rate)) {
        reject(publisher, def.topic, new RateLimitedError(def.topic));
        return TopicValidatorResult.Ignore;
      }
      try {
        if (msg.type !== 'signed') throw new UnexpectedMessageError('gossip must be signed by its publisher');
        const allow = def.allowSigner;
        const m = await decodeMessage(msg.data, def.messages, {
          maxBytes: def.maxBytes,
          replay,
          expectFrom: publicKeyOf(msg.from),
          ...(allow !== undefined ? { allowSigner: (s: Uint8Array) => allow(s, publisher) } : {}),
          ...(verifier ? { verifier } : {}),
        });
        decodedGossip.set(msg, m);
        return TopicValidatorResult.Accept;
      } catch (error) {
        const code = reject(peer, def.topic, error);
        // A replay or a clock-skewed message can reach us through an honest forwarder.
        return code === 'ERR_REPLAY' || code === 'ERR_STALE' || code === 'ERR_FUTURE' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject;
      }
    });
    // gossipsub refuses subscriptions before it starts; start() subscribes the registered topics.
    if (running) pubsub.subscribe(def.topic);
  };

  pubsub.addEventListener('gossipsub:message', (event) => {
    const { msg, propagationSource } = event.detail;
    const entry = topicHandlers.get(msg.topic);
    const m = decodedGossip.get(msg);
    if (entry === undefined || m === undefined) return;
    decodedGossip.delete(msg);
    accepted.gossip++;
    for (const h of entry.handlers) {
      try {
        h(m as never, { propagationSource: propagationSource.toString() });
      } catch (error) {
        log(`[edge/net] handler of ${msg.topic} failed: ${messageOf(error)}`);
      }
    }
  });

  const subscribe: Network['subscribe'] = (def, handler) => {
    let entry = topicHandlers.get(def.topic);
    if (entry !== undefined && entry.def !== def) throw new RegistrationError(`topic ${def.topic} is registered with another definition`);
    if (entry === undefined) {
      entry = { def, handlers: new Set() };
      topicHandlers.set(def.topic, entry);
      installTopic(def);
    }
    const h = handler as (m: never, from: { propagationSource: string }) => void;
    entry.handlers.add(h);
    return () => {
      const e = topicHandlers.get(def.topic);
      if (e === undefined) return;
      e.handlers.delete(h);
      if (e.handlers.size === 0) {
        topicHandlers.delete(def.topic);
        if (running) pubsub.unsubscribe(def.topic);
        pubsub.topicValidators.delete(def.topic);
      }
    };
  };

  const publish: Network['publish'] = async (def, type, body) => {
    requireStarted();
    const bytes = await encodeMessage(key, def.messages, type, body, def.maxBytes);
    const result = await pubsub.publish(def.topic, bytes);
    sent.gossip++;
    return result.recipients.length;
  };

  // ---------------- channels ----------------

  const makeSession = <M extends MessageMap>(stream: Stream, connection: Connection, def: ChannelDef<M>): ChannelSession<M> => {
    const peer = connection.remotePeer.toString();
    const remoteKey = publicKeyOf(connection.remotePeer);
    const lp = lpStream(stream, { maxDataLength: def.maxBytes });
    let received = 0;
    let sentFrames = 0;
    const fail = (error: unknown): never => {
      const e = toNetError(error, `${def.id} frame`, def.maxBytes, undefined, def.idleTimeoutMs);
      if (e instanceof NetError && (e.code === 'ERR_STREAM_CLOSED' || e.code === 'ERR_ABORTED')) {
        stream.abort(e);
        throw e;
      }
      reject(peer, def.id, e);
      stream.abort(e);
      throw e;
    };
    return {
      peer,
      limited: connection.limits !== undefined,
      async send(type, body) {
        if (++sentFrames > def.maxFrames) throw new InvalidArgumentError(`${def.id}: at most ${def.maxFrames} frames per side`);
        const bytes = await encodeMessage(key, def.messages, type, body, def.maxBytes);
        const signal = anySignal([AbortSignal.timeout(def.idleTimeoutMs), lifecycle.signal]);
        try {
          await lp.write(bytes, { signal });
        } catch (error) {
          // A peer that resets the stream mid-write makes the write reject with the stream's
          // 'close' Event (not an Error): a closed stream, not an internal failure.
          if (NetError.isInstance(error)) throw error;
          if (signal.aborted) throw new TimeoutError(`${def.id} frame`, def.idleTimeoutMs);
          throw new StreamClosedError(`${def.id}: stream closed while sending`);
        }
        sent.channelFrames++;
      },
      async receive(type) {
        if (++received > def.maxFrames) fail(new UnexpectedMessageError(`${def.id}: more than ${def.maxFrames} frames`));
        const signal = anySignal([AbortSignal.timeout(def.idleTimeoutMs), lifecycle.signal]);
        let m: Incoming<M>;
        try {
          const frame = await lp.read({ signal });
          m = await decodeMessage(frame.subarray(), def.messages, { maxBytes: def.maxBytes, replay, expectFrom: remoteKey, ...(verifier ? { verifier } : {}) });
        } catch (error) {
          if (signal.aborted && !NetError.isInstance(error) && !IdentityError.isInstance(error)) fail(new TimeoutError(`${def.id} frame`, def.idleTimeoutMs));
          return fail(error);
        }
        if (type !== undefined && m.type !== type) fail(new UnexpectedMessageError(`${def.id}: expected ${type}, got ${m.type}`));
        accepted.channelFrames++;
        return m as never;
      },
      async close() {
        try {
          await stream.close({ signal: AbortSignal.timeout(def.idleTimeoutMs) });
        } catch {
          stream.abort(new StreamClosedError('close failed'));
        }
      },
      abort(reason) {
        stream.abort(reason ?? new AbortedError(def.id));
      },
    };
  };

  const handleChannel: Network['handleChannel'] = async (def, handler) => {
    if (handled.has(def.id) || handledChannels.has(def.id)) throw new RegistrationError(`${def.id} is already handled`);
    handledChannels.set(def.id, def);
    await node.handle(
      def.id,
      async (stream: Stream, connection: Connection) => {
        const peer = connection.remotePeer.toString();
        if (banned(peer)) {
          stream.abort(new PeerBannedError(peer));
          return;
        }
        if (!limiter.take(`${peer}|${def.id}`, def.rate)) {
          reject(peer, def.id, new RateLimitedError(def.id));
          stream.abort(new RateLimitedError(def.id));
          return;
        }
        const session = makeSession(stream, connection, def);
        try {
          await handler(session);
          await session.close();
        } catch (error) {
          // Frame errors were counted by the session; others are the handler's (or the
          // provider's, e.g. a ledger entry that fails its own checks): count them here.
          const benign = NetError.isInstance(error) && ['ERR_STREAM_CLOSED', 'ERR_ABORTED'].includes(error.code);
          if (!benign && !(typeof error === 'object' && error !== null && counted.has(error))) reject(peer, def.id, error);
          session.abort(error instanceof Error ? error : undefined);
        }
      },
      { runOnLimitedConnection: true, maxInboundStreams: def.maxInboundStreams, maxOutboundStreams: def.maxInboundStreams },
    );
  };

  const openChannel: Network['openChannel'] = async (peerArg, def, opts = {}) => {
    requireStarted();
    const peer = parsePeerId(peerArg);
    const signal = anySignal([AbortSignal.timeout(def.idleTimeoutMs), opts.signal, lifecycle.signal]);
    const stream = await openStream(peer, def.id, signal);
    const connection = node.getConnections(peer).find((c) => c.streams.includes(stream)) ?? node.getConnections(peer)[0];
    if (connection === undefined) {
      stream.abort(new StreamClosedError('no connection'));
      throw new StreamClosedError(`connection to ${peer.toString()} closed`);
    }
    return makeSession(stream, connection, def);
  };

  const serveStateSync: Network['serveStateSync'] = (def, provider) =>
    handleChannel(def, async (session) => {
      const hello = await session.receive('edge.sync.hello');
      const update = await provider.diff(hello.body.sv, session.peer);
      const sv = await provider.stateVector();
      await session.send('edge.sync.reply', { sv, update });
      const fin = await session.receive('edge.sync.final');
      await provider.apply(fin.body.update, session.peer);
    });

  const syncState: Network['syncState'] = async (peerArg, def, provider, opts = {}) => {
    const session = await openChannel(peerArg, def, opts);
    try {
      const sv = await provider.stateVector();
      await session.send('edge.sync.hello', { sv });
      const reply = await session.receive('edge.sync.reply');
      try {
        await provider.apply(reply.body.update, session.peer);
      } catch (error) {
        reject(session.peer, def.id, error);
        throw error;
      }
      const update = await provider.diff(reply.body.sv, session.peer);
      await session.send('edge.sync.final', { update });
      await session.close();
      return { peer: session.peer, sentBytes: sv.length + update.length, receivedBytes: reply.body.update.length + reply.body.sv.length };
    } catch (error) {
      session.abort(error instanceof Error ? error : undefined);
      throw error;
    }
  };

  // ---------------- adverts, ping ----------------

  const advertise = ((type: typeof CAPABILITY_ADVERT | typeof LOAD_ADVERT, body: CapabilityAdvert | LoadAdvert) =>
    publish(ADVERTS_TOPIC, type, body as never)) as Network['advertise'];

  if (options.adverts !== false) {
    subscribe(ADVERTS_TOPIC, (m) => {
      if (peerTable.update(m)) emit('advert', { peer: m.signer, type: m.type });
    });
  }

  const pingPeer: Network['ping'] = async (peerArg, opts = {}) => {
    requireStarted();
    const peer = parsePeerId(peerArg);
    const signal = anySignal([AbortSignal.timeout(10_000), opts.signal, lifecycle.signal]);
    try {
      const ms = await node.services.ping.ping(peer, { signal, runOnLimitedConnection: true });
      latency.record(peer.toString(), ms, 'ping');
      return ms;
    } catch (error) {
      if (signal.aborted) throw opts.signal?.aborted === true ? new AbortedError('ping') : new TimeoutError('ping', 10_000);
      throw new DialError(`ping ${peer.toString()} failed: ${messageOf(error)}`, { cause: error });
    }
  };

  const pingRound = async () => {
    const peers = node.getPeers().slice(0, 32);
    await Promise.allSettled(peers.map((p) => pingPeer(p)));
  };

  // ---------------- lifecycle ----------------

  const network: Network = {
    peerId: selfId,
    publicKey,
    libp2p: node,
    peerTable,
    latency,
    get started() {
      return running;
    },
    async start() {
      if (running) return;
      lifecycle = new AbortController();
      await node.start();
      running = true;
      for (const topic of topicHandlers.keys()) pubsub.subscribe(topic);
      if (bootstrapList.length > 0) {
        const deadline = AbortSignal.timeout(options.bootstrapTimeoutMs ?? 5_000);
        await Promise.any(bootstrapList.map((a) => node.dial(multiaddr(a), { signal: deadline }))).catch(() => {
          log(`[edge/net] no bootstrap peer reachable yet (${bootstrapList.length} tried); will keep trying`);
        });
      }
      const interval = options.pingIntervalMs ?? 15_000;
      if (interval > 0) {
        pinger = setInterval(() => void pingRound(), interval);
        (pinger as { unref?: () => void }).unref?.();
      }
      if (bootstrapList.length > 0) {
        // Bootstrap peers are kept connected: one that is down at start, or goes away later, is
        // dialed again every few seconds (not while banned).
        rejoin = setInterval(() => {
          if (!running) return;
          const connected = new Set(node.getPeers().map((p) => p.toString()));
          for (const a of bootstrapList) {
            const id = /\/p2p\/([^/]+)$/.exec(a)?.[1];
            if (id !== undefined && (connected.has(id) || banned(id))) continue;
            void node.dial(multiaddr(a), { signal: anySignal([AbortSignal.timeout(5_000), lifecycle.signal]) }).catch(() => {});
          }
        }, options.bootstrapRetryMs ?? 5_000);
        (rejoin as { unref?: () => void }).unref?.();
      }
    },
    async stop() {
      if (!running) return;
      running = false;
      lifecycle.abort(new AbortedError('network stopped'));
      if (pinger !== undefined) clearInterval(pinger);
      pinger = undefined;
      if (rejoin !== undefined) clearInterval(rejoin);
      rejoin = undefined;
      await node.stop();
    },
    getMultiaddrs: () => node.getMultiaddrs().map((m) => m.toString()),
    async dial(target, opts = {}) {
      requireStarted();
      let t: Multiaddr | PeerId;
      if (typeof target === 'string') {
        if (target.startsWith('/')) {
          try {
            t = multiaddr(target);
          } catch {
            throw new InvalidArgumentError(`not a multiaddr: ${target}`);
          }
        } else t = parsePeerId(target);
      } else t = target;
      try {
        const conn = await node.dial(t, { signal: anySignal([AbortSignal.timeout(15_000), opts.signal, lifecycle.signal]) });
        return conn.remotePeer.toString();
      } catch (error) {
        throw new DialError(`dial failed: ${messageOf(error)}`, { cause: error });
      }
    },
    async hangUp(peer) {
      await node.hangUp(parsePeerId(peer));
    },
    connectedPeers: () => node.getPeers().map((p) => p.toString()),
    isLimited(peer) {
      const conns = connectionsTo(peer);
      return conns.length > 0 && conns.every((c) => c.limits !== undefined);
    },
    ban(peer, reason = 'manual') {
      if (peer === selfId) return;
      scorer.ban(peer);
      emit('peer:banned', { peer, reason });
      void node.hangUp(parsePeerId(peer)).catch(() => {});
    },
    unban(peer) {
      scorer.unban(peer);
      emit('peer:unbanned', { peer });
    },
    isBanned: (peer) => scorer.isBanned(peer),
    handle,
    unhandle,
    request,
    subscribe,
    publish,
    topicPeers: (def) => pubsub.getSubscribers(def.topic).map((p) => p.toString()),
    handleChannel,
    openChannel,
    serveStateSync,
    syncState,
    advertise,
    ping: pingPeer,
    async findPeer(peerArg, opts = {}) {
      requireStarted();
      const peer = parsePeerId(peerArg);
      const timeoutMs = opts.timeoutMs ?? 15_000;
      const signal = anySignal([AbortSignal.timeout(timeoutMs), opts.signal, lifecycle.signal]);
      try {
        const info = await node.peerRouting.findPeer(peer, { signal });
        return info.multiaddrs.map((m) => m.toString());
      } catch (error) {
        if (opts.signal?.aborted === true) throw new AbortedError('findPeer');
        if (signal.aborted) throw new TimeoutError('findPeer', timeoutMs);
        throw new PeerNotFoundError(peer.toString());
      }
    },
    getNetworkStats() {
      const conns = node.getConnections();
      const lat = latency.list().map((e) => e.rttMs);
      const bannedPeers = scorer.banned();
      return {
        peerId: selfId,
        started: running,
        connections: conns.length,
        limitedConnections: conns.filter((c) => c.limits !== undefined).length,
        peers: node.getPeers().length,
        rejected: { total: rejectedTotal, byReason: Object.fromEntries(byReason), byChannel: Object.fromEntries(byChannel) },
        accepted: { ...accepted },
        sent: { ...sent },
        bans: { active: bannedPeers.length, total: scorer.bansTotal, peers: bannedPeers },
        adverts: peerTable.size,
        latency: { peers: lat.length, medianMs: lat.length === 0 ? null : lat[lat.length >> 1]! },
        replayGuardSize: guard.size,
      };
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(listener as (d: never) => void);
      return () => set.delete(listener as (d: never) => void);
    },
  };
  return network;
}
