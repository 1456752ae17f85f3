import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as browser from '../src/index.js';
import * as node from '../src/index.node.js';
import { MANIFEST, MODEL_BYTES, MODEL_PATH, SEED, asyncCodeOf } from './helpers.js';

/** A real HTTP server on the loopback address, serving the model as a web server would. */
let server: Server;
let base: string;
let hits = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/model.bin') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(MODEL_BYTES);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const probe = 'offline embeddings for a browser tab';

describe(`loading the model (seed ${SEED})`, () => {
  it('Node: loadDefaultModel reads the shipped file from disk', async () => {
    const e = await node.loadDefaultModel();
    expect(e.modelId).toBe(MANIFEST.modelId);
    expect(node.defaultModelUrl().protocol).toBe('file:');
    expect(node.defaultModelUrl().pathname.endsWith(`/model/${node.DEFAULT_MODEL_FILE}`)).toBe(true);
  });

  it('Node: a path, a file: URL, bytes and a Response all give the same embedder', async () => {
    const ref = (await node.loadModel(MODEL_BYTES)).embedSync([probe])[0]!;
    for (const source of [MODEL_PATH, pathToFileURL(MODEL_PATH), MODEL_BYTES.buffer.slice(0) as ArrayBuffer, new Response(MODEL_BYTES)]) {
      const e = await node.loadModel(source);
      expect(Array.from(e.embedSync([probe])[0]!)).toEqual(Array.from(ref));
    }
    expect(await asyncCodeOf(node.loadModel('/nonexistent/model.bin'))).toBe('ERR_MODEL_LOAD');
    expect(await asyncCodeOf(node.loadModel(new Uint8Array(100)))).toBe('ERR_MODEL_FORMAT');
    expect(await asyncCodeOf(node.loadModel(42 as unknown as string))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('browser entry: fetches the model from a URL the app serves, with options applied', async () => {
    const e = await browser.loadDefaultModel({ url: `${base}/model.bin`, oov: 'ignore' });
    expect(e.modelId).toBe(`${MANIFEST.modelId}+oov=ignore`);
    const n = await node.loadModel(`${base}/model.bin`, { oov: 'ignore' });
    expect(Array.from(e.embedSync([probe])[0]!)).toEqual(Array.from(n.embedSync([probe])[0]!));
    expect(await asyncCodeOf(browser.loadModel(`${base}/missing.bin`))).toBe('ERR_MODEL_LOAD');
    expect(await asyncCodeOf(browser.loadModel('http://127.0.0.1:1/model.bin'))).toBe('ERR_MODEL_LOAD');
    // The default URL points at the packaged file, next to dist/ (or src/ here).
    expect(browser.defaultModelUrl().href.endsWith(`/model/${browser.DEFAULT_MODEL_FILE}`)).toBe(true);
  });

  it('browser entry: with cacheName, a second load is served from Cache Storage, not the network', async () => {
    const store = new Map<string, Response>();
    const caches = {
      open: async () => ({
        match: async (key: string) => store.get(key)?.clone(),
        put: async (key: string, res: Response) => void store.set(key, res),
      }),
    };
    const g = globalThis as { caches?: unknown };
    const saved = g.caches;
    g.caches = caches;
    try {
      const before = hits;
      await browser.loadDefaultModel({ url: `${base}/model.bin`, cacheName: 'edge-embed' });
      await browser.loadDefaultModel({ url: `${base}/model.bin`, cacheName: 'edge-embed' });
      expect(hits - before).toBe(1);
    } finally {
      g.caches = saved;
    }
  });
});
