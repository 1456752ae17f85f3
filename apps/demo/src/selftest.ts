// The browser executor on its own: a node with no transport and memory storage runs every
// built-in task type locally, i.e. in its Web Worker (executor-worker.browser.js), and reports
// the hash of each canonical result. The hub's end-to-end test runs the same payloads on a Node
// node (worker_threads) and requires the same hashes, bit for bit.
import { EdgeNetConfig, createMemoryNodeStorage } from '@edge/node';

export interface SelfTestCase {
  readonly type: string;
  readonly payload: unknown;
}

export interface SelfTestResult {
  readonly type: string;
  readonly resultHash: string;
  readonly verification: string;
  readonly ms: number;
}

async function run(cases: readonly SelfTestCase[], index?: { dim: number; ids: string[]; vectors: number[][] }): Promise<SelfTestResult[]> {
  const node = new EdgeNetConfig('selftest').storage(createMemoryNodeStorage()).ledgerPolicy({ net: 'selftest', genesisPowBits: 4 }).build();
  await node.start();
  try {
    if (index !== undefined) {
      await node.createIndex('selftest', { dim: index.dim, metric: 'cosine', seed: 7 });
      await node.insertVectors('selftest', index.ids, index.vectors);
    }
    const out: SelfTestResult[] = [];
    for (const c of cases) {
      const t0 = performance.now();
      const r = await node.submitTask(c.type, c.payload, 0);
      out.push({ type: c.type, resultHash: r.resultHash, verification: r.verification, ms: performance.now() - t0 });
    }
    return out;
  } finally {
    await node.stop();
  }
}

declare global {
  interface Window {
    edgeSelfTest?: typeof run;
  }
}
window.edgeSelfTest = run;

const out = document.getElementById('out')!;
const vec = (seed: number, dim: number) => Array.from({ length: dim }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233));
run(
  [
    { type: 'embedding', payload: { texts: ['How do I deploy a Fiori app?', 'The weather in Paris is sunny.'] } },
    {
      type: 'semantic_match',
      payload: {
        text: 'Thunderstorms and heavy rain are expected tonight',
        categories: [
          { id: 'sports', description: 'games, teams and athletes' },
          { id: 'weather', description: 'rain, snow, storms and the forecast' },
        ],
      },
    },
    { type: 'vector_search', payload: { index: 'selftest', vector: vec(99, 16), k: 5 } },
  ],
  { dim: 16, ids: Array.from({ length: 50 }, (_, i) => `v${i}`), vectors: Array.from({ length: 50 }, (_, i) => vec(i, 16)) },
).then(
  (r) => (out.textContent = JSON.stringify(r, null, 2)),
  (e) => (out.textContent = `failed: ${e instanceof Error ? e.stack : String(e)}`),
);
