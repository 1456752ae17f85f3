/**
 * The Node variant of `#platform`: TCP and WebSockets (dial and listen) plus circuit relay v2.
 * libp2p 3 assumes two things Node 20 lacks — `Promise.withResolvers` (ES2024, used by its
 * queues) and a global `WebSocket` (the WebSockets transport dials with it) — and `prepare()`
 * supplies both, only when absent, from the `ws` package and a spec-shaped polyfill. This file
 * is reached only through the `node` condition of package.json `imports`, so browser bundles
 * never contain `ws` or these assignments.
 */

import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { WebSocket as WsWebSocket } from 'ws';
import type { Platform } from './platform-types.js';

function prepare(): void {
  const P = Promise as PromiseConstructor & { withResolvers?: unknown };
  if (typeof P.withResolvers !== 'function') {
    // ECMA-262 2024, 27.2.4.9 Promise.withResolvers.
    Object.defineProperty(Promise, 'withResolvers', {
      configurable: true,
      writable: true,
      value: function withResolvers<T>(this: PromiseConstructor) {
        let resolve!: (value: T | PromiseLike<T>) => void;
        let reject!: (reason?: unknown) => void;
        const promise = new this<T>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { promise, resolve, reject };
      },
    });
  }
  const g = globalThis as { WebSocket?: unknown };
  if (typeof g.WebSocket !== 'function') {
    Object.defineProperty(globalThis, 'WebSocket', { configurable: true, writable: true, value: WsWebSocket });
  }
}

export const platform: Platform = {
  name: 'node',
  prepare,
  transports: () => [tcp(), webSockets(), circuitRelayTransport()],
  defaultListen: () => ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'],
  allowPrivateByDefault: true,
};
