/**
 * The browser variant of `#platform` (the default condition): WebSockets to reach hubs, WebRTC
 * for direct browser-to-browser connections (signalled over a relayed connection), and circuit
 * relay v2 so a browser is reachable at `/p2p-circuit` through a hub. Nothing is installed on
 * globals: browsers have `WebSocket` and `Promise.withResolvers`.
 */

import { webSockets } from '@libp2p/websockets';
import { webRTC } from '@libp2p/webrtc';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import type { Platform } from './platform-types.js';

export const platform: Platform = {
  name: 'browser',
  prepare: () => {},
  transports: () => [webSockets(), webRTC(), circuitRelayTransport()],
  defaultListen: () => ['/p2p-circuit', '/webrtc'],
  allowPrivateByDefault: false,
};
