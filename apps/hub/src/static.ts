/**
 * The dashboard's web server: the built demo (apps/demo/dist) plus three JSON documents the page
 * reads (`/hub.json`: how to join; `/docs.json`: titles of the seeded documents; `/status.json`:
 * the hub's and workers' figures).
 *
 * Every response carries COOP `same-origin`, COEP `require-corp` and CORP `same-origin`, which
 * make the page cross-origin isolated (HTML Living Standard, "cross-origin isolation"), the
 * condition under which browsers expose SharedArrayBuffer. Hashed assets are cached for good;
 * HTML and JSON never.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
} as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.map': 'application/json',
};

export interface StaticServerOptions {
  /** The built demo. */
  readonly root: string;
  readonly host: string;
  readonly port: number;
  /** JSON documents by path (`/hub.json` ...), computed per request; undefined answers 503. */
  readonly json: Readonly<Record<string, () => unknown | Promise<unknown>>>;
}

export interface StaticServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: string | Buffer): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, ...headers });
  res.end(body);
}

export async function startStaticServer(o: StaticServerOptions): Promise<StaticServer> {
  const root = normalize(o.root);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { allow: 'GET, HEAD' });
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split(/[?#]/, 1)[0]!).replace(/\/{2,}/g, '/');
      if (!path.startsWith('/')) throw new Error('relative');
    } catch {
      return send(res, 400, { 'content-type': 'text/plain' }, 'bad path');
    }
    const doc = o.json[path];
    if (doc !== undefined) {
      const value = await doc();
      // undefined: not available yet (the hub is still starting).
      const status = value === undefined ? 503 : 200;
      const body = JSON.stringify(value === undefined ? { starting: true } : value);
      return send(res, status, { 'content-type': 'application/json', 'cache-control': 'no-store' }, req.method === 'HEAD' ? undefined : body);
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, { 'content-type': 'text/plain' }, 'not found');
    const immutable = path.startsWith('/assets/');
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(statSync(file).size),
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, String((error as Error).message ?? error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
