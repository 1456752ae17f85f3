import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

/**
 * executor-worker.browser.js is executor-worker.js itself with its two Node imports
 * (`node:worker_threads`, `node:perf_hooks`) resolved to worker-globals.browser.js. The worker
 * file is loaded a second time under its own esbuild namespace, so the Node worker entry keeps
 * the real Node modules while the browser one gets the Web Worker globals.
 */
type Plugin = NonNullable<Options['esbuildPlugins']>[number];

const browserWorker: Plugin = {
  name: 'edge-browser-worker',
  setup(build) {
    const NS = 'edge-browser-worker';
    const GLOBALS = resolve('src/worker-globals.browser.js');
    build.onResolve({ filter: /^\.\/executor-worker\.js$/ }, (args) =>
      args.importer.endsWith('executor-worker.browser.js') ? { path: resolve(args.resolveDir, args.path), namespace: NS } : undefined,
    );
    // The specifiers are rewritten in the loaded source: tsup's own external rule for `node:*`
    // resolves before any plugin's onResolve would see them.
    build.onLoad({ filter: /.*/, namespace: NS }, async (args) => {
      let contents = await readFile(args.path, 'utf8');
      for (const spec of ['node:worker_threads', 'node:perf_hooks']) {
        const quoted = `'${spec}'`;
        if (!contents.includes(quoted)) throw new Error(`executor-worker.js no longer imports ${spec}: update tsup.config.ts`);
        contents = contents.replaceAll(quoted, JSON.stringify(GLOBALS));
      }
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

// Entries: the library; the `#platform` variants (Node: worker_threads + directory storage;
// browsers: Web Worker + IndexedDB), which the library imports by the package.json `imports`
// conditions and so keeps external; the task worker scripts (loaded by URL next to the
// platform bundles: executor-worker.js for worker_threads, executor-worker.browser.js for Web
// Workers); and the `edge-net` CLI.
export default defineConfig(
  defineLibrary({
    entry: {
      index: 'src/index.ts',
      'platform.node': 'src/platform.node.ts',
      'platform.browser': 'src/platform.browser.ts',
      'executor-worker': 'src/executor-worker.js',
      'executor-worker.browser': 'src/executor-worker.browser.js',
      cli: 'src/cli.ts',
    },
    dts: { entry: { index: 'src/index.ts', cli: 'src/cli.ts' } },
    platform: 'node',
    external: [/^node:/, /^@edge\//, '#platform'],
    esbuildPlugins: [browserWorker],
  }),
);
