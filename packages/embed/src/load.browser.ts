/**
 * Browser (and any fetch-only runtime) loading. The default model is the file that ships in the
 * package; bundlers that understand `new URL(path, import.meta.url)` (Vite, webpack 5, esbuild
 * with a loader, Parcel) copy it as an asset. Apps may instead pass the URL they host it at,
 * or the bytes themselves.
 */
import { DEFAULT_MODEL_FILE, fetchModelBytes, loadFrom, type LoadOptions, type ModelSource } from './load.js';
import type { StaticEmbedder } from './sif.js';

/** Loads a model from bytes, a Response, or a URL (fetched; optionally kept in Cache Storage). */
export function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<StaticEmbedder> {
  return loadFrom(source, options, fetchModelBytes);
}

/** URL of the model file that ships with this package, relative to this module. */
export function defaultModelUrl(): URL {
  return new URL('../model/edge-embed-sg100d-50k.bin', import.meta.url);
}

/**
 * Loads the default model: from `url` when given (where the app serves model.bin), else from the
 * copy next to this module.
 */
export function loadDefaultModel(options: LoadOptions & { url?: URL | string } = {}): Promise<StaticEmbedder> {
  return loadModel(options.url ?? defaultModelUrl(), options);
}

export { DEFAULT_MODEL_FILE };
