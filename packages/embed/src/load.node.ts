/**
 * Node loading: files are read from disk, so the shipped model loads with no network at all.
 * http(s) URLs still go through fetch.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from './errors.js';
import { DEFAULT_MODEL_FILE, fetchModelBytes, loadFrom, type LoadOptions, type ModelSource } from './load.js';
import type { StaticEmbedder } from './sif.js';

async function readModel(source: URL | string, options: LoadOptions): Promise<Uint8Array> {
  const isUrl = source instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
  const url = isUrl ? new URL(String(source)) : undefined;
  if (url !== undefined && url.protocol !== 'file:') return fetchModelBytes(url, options);
  const path = url !== undefined ? fileURLToPath(url) : (source as string);
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new ModelLoadError(`reading model file ${path} failed: ${String(error)}`, { cause: error });
  }
}

/** Loads a model from bytes, a Response, a file path, a file: URL, or an http(s) URL. */
export function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<StaticEmbedder> {
  return loadFrom(source, options, readModel);
}

/** URL of the model file that ships with this package. */
export function defaultModelUrl(): URL {
  return new URL('../model/edge-embed-sg100d-50k.bin', import.meta.url);
}

/** Loads the default model from the package's own model/ folder (or from `url` when given). */
export function loadDefaultModel(options: LoadOptions & { url?: URL | string } = {}): Promise<StaticEmbedder> {
  return loadModel(options.url ?? defaultModelUrl(), options);
}

export { DEFAULT_MODEL_FILE };
