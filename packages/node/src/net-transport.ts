/**
 * The node's `Transport` on @edge/net (libp2p): what lets nodes in separate processes and on
 * separate machines run the task loop together.
 *
 * - Task requests (offers, witness requests, index sync) and their answers travel on the
 *   request/response protocol {@link TASK_PROTOCOL}. The node's own signed envelope rides inside
 *   the body of a net envelope: net checks frame size, the outer signature, that the outer signer
 *   is the peer on the other end of the stream, the schema (the inner bytes must parse as an
 *   envelope of an allowed type), replay and the per-peer rate limit; the node then opens the
 *   inner envelope with its own checks (docs/tasks.md). Both envelopes are signed by the same
 *   Pi-Key, so a peer cannot forward someone else's offer as its own.
 * - The ledger replicates over net's own definitions: new entries are gossiped on `LEDGER_TOPIC`
 *   (yjs updates), and the state-vector exchange runs on the `LEDGER_SYNC` channel (on connect,
 *   periodically, and when a gossiped update arrives without its predecessors). Every ledger
 *   entry inside is signed by its account and checked by the ledger, whatever the channel.
 * - Capability and load adverts go on net's adverts topic (gossipsub); a capability advert
 *   carries this node's dialable addresses, so a peer that heard of it through a hub connects
 *   directly. `peers()` reads net's peer table and latency table (pings and request round trips).
 */

import * as v from 'valibot';
import { parseUnverified, type PiKey } from '@edge/identity';
import {
  CAPABILITY_ADVERT,
  LEDGER_SYNC,
  LEDGER_TOPIC,
  LOAD_ADVERT,
  NetError,
  PeerFaultError,
  RAC_EVIDENCE_TOPIC,
  bytesSchema,
  createNetwork,
  defineProtocol,
  peerIdOf,
  publicKeyOf,
  type Network,
  type NetworkOptions,
} from '@edge/net';
import { ProtocolError, TransportError } from './errors.js';
import { INDEX_ACK_TYPE, INDEX_SYNC_TYPE, MAX_INDEX_SYNC_SIZE, OFFER_TYPE, REFUSAL_TYPE, RESULT_TYPE, WITNESS_REQUEST_TYPE } from './protocol.js';
import type { EvidenceChannel, LedgerChannel, LedgerSyncProvider, PeerInfo, RequestHandler, Transport } from './transport.js';

/** Room for the outer envelope around the node's envelope. */
const OUTER_OVERHEAD = 1024;
const MAX_TASK_FRAME = MAX_INDEX_SYNC_SIZE + OUTER_OVERHEAD;

const REQUEST_TYPES = new Set([OFFER_TYPE, WITNESS_REQUEST_TYPE, INDEX_SYNC_TYPE]);

/** The inner bytes must be a well-formed @edge/identity envelope (signature checked later by the node). */
function envelopeSchema(allowed: ((type: string) => boolean) | undefined) {
  return v.pipe(
    bytesSchema(MAX_INDEX_SYNC_SIZE),
    v.check((bytes) => {
      try {
        const t = parseUnverified(bytes, { maxSize: MAX_INDEX_SYNC_SIZE }).envelope.type;
        return allowed === undefined || allowed(t);
      } catch {
        return false;
      }
    }, 'must be a signed envelope of an allowed type'),
  );
}

/** Task offers, witness requests and index sync, answered with a result, refusal, witness or ack. */
export const TASK_PROTOCOL = defineProtocol({
  id: '/edge-net/task/1.0.0',
  requests: { 'edge.task.request': v.strictObject({ env: envelopeSchema((t) => REQUEST_TYPES.has(t)) }) },
  // Responses: results, refusals, index acks, or the @edge/economy witness envelope; the node
  // opens each with the exact type it expects for that request.
  responses: { 'edge.task.response': v.strictObject({ env: envelopeSchema(undefined) }) },
  maxBytes: MAX_TASK_FRAME,
  timeoutMs: 30_000,
  rate: { capacity: 128, refillPerSec: 64 },
  maxInboundStreams: 128,
});

export { INDEX_ACK_TYPE, REFUSAL_TYPE, RESULT_TYPE };

/** The node's fault reasons (PEER_FAULT_REASONS) as net's rejection codes, so they cost the same score. */
const FAULT_CODES: Readonly<Record<string, string>> = {
  'bad-signature': 'ERR_ENVELOPE_BAD_SIGNATURE',
  'wrong-signer': 'ERR_ENVELOPE_WRONG_SIGNER',
  'wrong-sender': 'ERR_ENVELOPE_WRONG_SIGNER',
  replay: 'ERR_REPLAY',
  malformed: 'ERR_ENVELOPE_MALFORMED',
  schema: 'ERR_SCHEMA',
  'too-large': 'ERR_MESSAGE_TOO_LARGE',
  'wrong-type': 'ERR_ENVELOPE_TYPE',
  stale: 'ERR_STALE',
  future: 'ERR_FUTURE',
};

const CAP_NAME = /^[a-z][a-z0-9_.:-]{0,47}$/;

export interface NetTransportOptions extends Omit<NetworkOptions, 'key'> {
  /** Advertised CPU share (0..1). Default 0.3. */
  cpuLimit?: number;
  /** Advertised memory, bytes. Default 0. */
  memoryBytes?: number;
  /** How often adverts are refreshed, ms (gossip does not replay old messages). Default 3 000. */
  advertIntervalMs?: number;
  /** Called with the started network (the CLI prints its addresses). */
  onNetwork?: (network: Network) => void;
}

/** Transport with access to the network below (addresses, stats). */
export interface NetTransport extends Transport {
  /** The @edge/net node; undefined before `start()`. */
  readonly network: Network | undefined;
  /** Dialable multiaddrs with `/p2p/<peer id>`. */
  addresses(): string[];
}

function toTransportError(error: unknown): TransportError {
  if (TransportError.isInstance(error)) return error as TransportError;
  if (NetError.isInstance(error)) {
    const code = (error as NetError).code;
    if (code === 'ERR_TIMEOUT') return new TransportError('timeout', (error as Error).message);
    if (code === 'ERR_ABORTED') return new TransportError('aborted', (error as Error).message);
    if (code === 'ERR_DIAL' || code === 'ERR_PEER_NOT_FOUND' || code === 'ERR_PEER_BANNED' || code === 'ERR_NOT_STARTED') {
      return new TransportError('unreachable', (error as Error).message);
    }
  }
  return new TransportError('failed', (error as Error)?.message ?? String(error));
}

/**
 * A transport factory for `EdgeNetConfig.transport(...)`: each node gets its own @edge/net
 * network keyed by its Pi-Key. `EdgeNetConfig.bootstrap(...)` / `.listen(...)` use this.
 */
export function createNetTransport(options: NetTransportOptions = {}): (identity: PiKey) => NetTransport {
  return (identity: PiKey) => netTransport(identity, options);
}

function netTransport(identity: PiKey, options: NetTransportOptions): NetTransport {
  let net: Network | undefined;
  let handler: RequestHandler | undefined;
  let ledgerHandler: ((from: Uint8Array, m: Uint8Array) => void) | undefined;
  let ledgerProvider: LedgerSyncProvider | undefined;
  let evidenceHandler: ((from: Uint8Array, kind: string, subject: Uint8Array, evidence: Uint8Array) => void) | undefined;
  const peerHandlers: ((peer: Uint8Array, up: boolean) => void)[] = [];
  const offs: (() => void)[] = [];
  const dialing = new Set<string>();
  let caps: readonly string[] = [];
  let load = 0;
  let capsDirty = false;
  let loadDirty = false;
  let lastCaps = 0;
  let lastLoad = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const interval = options.advertIntervalMs ?? 3_000;
  const { cpuLimit, memoryBytes, advertIntervalMs: _i, onNetwork, ...netOptions } = options;

  const ownAddrs = (): string[] =>
    (net?.getMultiaddrs() ?? [])
      .map((a) => a.replace(/\/p2p\/[^/]+$/, ''))
      .filter((a) => !a.includes('/p2p-circuit') && /^\/[A-Za-z0-9./_:-]{1,255}$/.test(a))
      .slice(0, 8);

  const publish = () => {
    if (net === undefined || !net.started) return;
    const t = Date.now();
    if (capsDirty || t - lastCaps >= interval) {
      capsDirty = false;
      lastCaps = t;
      const names = caps.filter((c) => CAP_NAME.test(c)).slice(0, 32);
      const holds = caps.filter((c) => !CAP_NAME.test(c) && c.length <= 96).slice(0, 64);
      net
        .advertise(CAPABILITY_ADVERT, {
          caps: names,
          backends: ['js'],
          cpuLimit: cpuLimit ?? 0.3,
          memoryBytes: memoryBytes ?? 0,
          version: '0.1.0',
          holds,
          ttlMs: Math.max(1_000, interval * 5),
          addrs: ownAddrs(),
        })
        .catch(() => {});
    }
    if (loadDirty || t - lastLoad >= interval) {
      loadDirty = false;
      lastLoad = t;
      const queued = Math.round(Math.min(1, Math.max(0, load)) * 1000);
      net
        .advertise(LOAD_ADVERT, { queued, running: 0, capacity: 1000, cpu: 0, accepting: queued < 1000, ttlMs: Math.max(1_000, interval * 5) })
        .catch(() => {});
    }
  };

  /** The largest update LEDGER_TOPIC's schema admits. */
  const maxBroadcast = 60 * 1024;
  const ledger: LedgerChannel = {
    serve(provider) {
      ledgerProvider = provider;
    },
    async sync(peer, provider) {
      const n = net;
      if (n === undefined || !n.started) throw new TransportError('unreachable', 'network not started');
      try {
        await n.syncState(peerIdOf(peer), LEDGER_SYNC, {
          stateVector: () => provider.stateVector(),
          diff: (sv) => provider.diff(sv),
          apply: (update) => provider.apply(update, peer),
        });
      } catch (error) {
        throw toTransportError(error);
      }
    },
    broadcast(update) {
      const n = net;
      if (n === undefined || !n.started || update.length > maxBroadcast) return;
      // No subscribed peer yet is not an error: the state-vector exchanges carry the entry.
      const sent = n.publish(LEDGER_TOPIC, 'edge.ledger.update', { update }).then(() => undefined);
      sent.catch(() => {});
      return sent;
    },
    maxBroadcast,
    onUpdate(h) {
      ledgerHandler = h;
    },
    onPeer(h) {
      peerHandlers.push(h);
    },
  };

  // rac evidence on net's RAC_EVIDENCE_TOPIC: net checks size, the publisher's signature, the
  // schema, replay and the per-publisher rate limit; the node then verifies the evidence itself.
  const evidence: EvidenceChannel = {
    publish(kind, subject, bytes) {
      const n = net;
      if (n === undefined || !n.started) return;
      // No subscribed peer yet is not an error worth surfacing: the evidence stays local.
      const sent = n.publish(RAC_EVIDENCE_TOPIC, 'edge.rac.evidence', { kind, subject, evidence: bytes }).then(() => undefined);
      sent.catch(() => {});
      return sent;
    },
    onEvidence(h) {
      evidenceHandler = h;
    },
  };

  const transport: NetTransport = {
    get network() {
      return net;
    },
    addresses() {
      return net?.getMultiaddrs() ?? [];
    },
    async start() {
      net = await createNetwork({ pingIntervalMs: 5_000, log: () => {}, ...netOptions, key: identity });
      const n = net;
      await n.handle(TASK_PROTOCOL, async (m, ctx) => {
        if (handler === undefined) throw new TransportError('unreachable', 'no handler');
        let reply: Uint8Array;
        try {
          reply = await handler(m.from, m.body.env, ctx.signal);
        } catch (error) {
          // The node proved the inner envelope the sender's fault: net scores it like its own refusals.
          const code = error instanceof ProtocolError ? FAULT_CODES[error.reason] : undefined;
          if (code !== undefined) throw new PeerFaultError(code, `inner envelope refused: ${(error as ProtocolError).reason}`);
          throw error;
        }
        return { type: 'edge.task.response', body: { env: reply } };
      });
      // The responder side of the exchange; the provider's typed errors are counted and scored by net.
      await n.serveStateSync(LEDGER_SYNC, {
        stateVector: () => {
          if (ledgerProvider === undefined) throw new TransportError('unreachable', 'no ledger');
          return ledgerProvider.stateVector();
        },
        diff: (sv) => ledgerProvider!.diff(sv),
        apply: (update, peer) => ledgerProvider!.apply(update, publicKeyOf(peer)),
      });
      offs.push(
        n.subscribe(LEDGER_TOPIC, (m) => ledgerHandler?.(m.from, m.body.update)),
        n.subscribe(RAC_EVIDENCE_TOPIC, (m) => evidenceHandler?.(m.from, m.body.kind, m.body.subject, m.body.evidence)),
        n.on('peer:connect', ({ peer }) => {
          capsDirty = true;
          loadDirty = true;
          let key: Uint8Array;
          try {
            key = publicKeyOf(peer);
          } catch {
            return; // not an Ed25519 (Pi-Key) peer: not an edge-net node
          }
          for (const h of peerHandlers) h(key, true);
          n.ping(peer).catch(() => {});
        }),
        n.on('peer:disconnect', ({ peer }) => {
          let key: Uint8Array;
          try {
            key = publicKeyOf(peer);
          } catch {
            return;
          }
          for (const h of peerHandlers) h(key, false);
        }),
        // A node heard of through gossip (via a hub) gets a direct connection: task requests
        // go straight to it, not through the hub.
        n.on('advert', ({ peer }) => {
          if (dialing.has(peer) || n.connectedPeers().includes(peer)) return;
          const addrs = n.peerTable.get(peer)?.capability?.advert.addrs ?? [];
          if (addrs.length === 0) return;
          dialing.add(peer);
          (async () => {
            for (const a of addrs) {
              try {
                await n.dial(`${a}/p2p/${peer}`);
                return;
              } catch {
                /* next address */
              }
            }
          })().finally(() => dialing.delete(peer));
        }),
      );
      onNetwork?.(n);
      await n.start();
      timer = setInterval(publish, Math.max(250, Math.min(1_000, interval)));
      timer.unref?.();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      for (const off of offs.splice(0)) off();
      await net?.stop();
    },
    peers(): PeerInfo[] {
      const n = net;
      if (n === undefined || !n.started) return [];
      const out: PeerInfo[] = [];
      for (const peer of n.connectedPeers()) {
        let id: Uint8Array;
        try {
          id = publicKeyOf(peer);
        } catch {
          continue;
        }
        const rec = n.peerTable.get(peer);
        const cap = rec?.capability?.advert;
        const ld = rec?.load?.advert;
        const rtt = n.latency.get(peer)?.rttMs;
        out.push({
          id,
          capabilities: cap === undefined ? [] : [...cap.caps, ...cap.holds],
          load: ld === undefined || ld.capacity === 0 ? 0 : Math.min(1, ld.queued / ld.capacity),
          ...(rtt !== undefined ? { latencyMs: rtt } : {}),
        });
      }
      return out;
    },
    async request(peer, request, { timeoutMs, signal }) {
      const n = net;
      if (n === undefined || !n.started) throw new TransportError('unreachable', 'network not started');
      try {
        const reply = await n.request(peerIdOf(peer), TASK_PROTOCOL, 'edge.task.request', { env: request }, { timeoutMs, ...(signal ? { signal } : {}) });
        return reply.body.env;
      } catch (error) {
        throw toTransportError(error);
      }
    },
    handle(h) {
      handler = h;
    },
    advertise(c, l) {
      if (c.length !== caps.length || c.some((x, i) => x !== caps[i])) capsDirty = true;
      if (Math.abs(l - load) > 1e-3) loadDirty = true;
      caps = [...c];
      load = l;
      // A change goes out now (the token bucket allows bursts); the timer refreshes it.
      if (capsDirty) publish();
    },
    ledger,
    evidence,
  };
  return transport;
}
