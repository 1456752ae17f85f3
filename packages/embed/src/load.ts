/**
 * Loading model bytes from what an app has: bytes, a Response, or a URL to fetch. Shared by the
 * browser and Node entries; neither sniffs its environment (conditional exports pick the entry).
 */
import { EmbedError, InvalidArgumentError, ModelLoadError } from './errors.js';
import { createStaticEmbedder, type StaticEmbedder, type StaticEmbedderOptions } from './sif.js';

/** Where model bytes come from. A string or URL is fetched (Node's entry also reads files). */
export type ModelSource = Uint8Array | ArrayBuffer | Response | URL | string;

/** Options of loadModel / loadDefaultModel. */
export interface LoadOptions extends StaticEmbedderOptions {
  /** fetch implementation to use for URLs (default: the global fetch). */
  fetch?: typeof fetch;
  /**
   * Name of a Cache Storage cache (browsers, service workers) in which a fetched model is kept,
   * so later loads need no network at all. Ignored where `caches` does not exist.
   */
  cacheName?: string;
}

/** File name of the shipped default model, next to the package's dist/ folder in model/. */
export const DEFAULT_MODEL_FILE = 'edge-embed-sg100d-50k.bin';

async function responseBytes(res: Response, what: string): Promise<Uint8Array> {
  if (!res.ok) throw new ModelLoadError(`fetching ${what} failed: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetches a model URL, through Cache Storage when asked and available. */
export async function fetchModelBytes(url: URL | string, options: LoadOptions = {}): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new ModelLoadError('no fetch available to load the model; pass the bytes instead');
  const href = String(url);
  try {
    const cacheStorage = (globalThis as { caches?: CacheStorage }).caches;
    if (options.cacheName !== undefined && cacheStorage !== undefined) {
      const cache = await cacheStorage.open(options.cacheName);
      const hit = await cache.match(href);
      if (hit !== undefined) return await responseBytes(hit, href);
      const res = await doFetch(href);
      if (res.ok) await cache.put(href, res.clone());
      return await responseBytes(res, href);
    }
    return await responseBytes(await doFetch(href), href);
  } catch (error) {
    if (EmbedError.isInstance(error)) throw error;
    throw new ModelLoadError(`fetching ${href} failed: ${String(error)}`, { cause: error });
  }
}

/** Turns bytes / a Response into an embedder; URLs go through `fetchUrl`. */
export async function loadFrom(
  source: ModelSource,
  options: LoadOptions,
  fetchUrl: (url: URL | string, options: LoadOptions) => Promise<Uint8Array>,
): Promise<StaticEmbedder> {
  let bytes: Uint8Array | ArrayBuffer;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) bytes = source;
  else if (typeof Response !== 'undefined' && source instanceof Response) bytes = await responseBytes(source, 'model response');
  else if (source instanceof URL || typeof source === 'string') bytes = await fetchUrl(source, options);
  else throw new InvalidArgumentError('model source must be bytes, a Response, a URL or a string');
  return createStaticEmbedder(bytes, options);
}
