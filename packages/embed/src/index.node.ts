/**
 * The Node entry of @edge/embed (selected by the "node" export condition): the same surface as
 * index.ts, with a loader that reads model files from disk.
 */
export * from './public.js';
export { loadModel, loadDefaultModel, defaultModelUrl, DEFAULT_MODEL_FILE } from './load.node.js';
