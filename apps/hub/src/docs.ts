/**
 * The demo corpus: the 778 SAP Fiori documentation chunks shipped in
 * `@sap-ux/fiori-docs-embeddings` (Apache-2.0, real text written by others). The hub embeds each
 * chunk's title and content with @edge/embed and serves the titles to the dashboard, which shows
 * them next to the ids a `vector_search` returns.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface FioriRecord {
  readonly id: string;
  readonly title: string;
  readonly category: string;
  readonly content: string;
}

/** What the dashboard gets per document (`/docs.json`). */
export interface DocMeta {
  readonly id: string;
  readonly title: string;
  readonly category: string;
  /** The first words of the content, markdown markers removed. */
  readonly snippet: string;
}

/** The name of the index the hub seeds. */
export const DEMO_INDEX = 'fiori';

/** Longest text @edge/embed accepts by default (one chunk of the corpus is longer: it is cut). */
const MAX_TEXT = 200_000;

/** The text embedded for a record: its title, then its content (the first MAX_TEXT characters). */
export function docText(r: FioriRecord): string {
  return `${r.title}\n${r.content}`.slice(0, MAX_TEXT);
}

export function loadFioriRecords(): FioriRecord[] {
  const pkg = createRequire(import.meta.url).resolve('@sap-ux/fiori-docs-embeddings/package.json');
  const file = join(dirname(pkg), 'data', 'embeddings', 'records.jsonl');
  const out: FioriRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim().length === 0) continue;
    const r = JSON.parse(line) as Partial<FioriRecord>;
    if (typeof r.id !== 'string' || typeof r.content !== 'string') continue;
    out.push({ id: r.id, title: typeof r.title === 'string' ? r.title : r.id, category: typeof r.category === 'string' ? r.category : '', content: r.content });
  }
  return out;
}

export function docMeta(r: FioriRecord): DocMeta {
  const plain = r.content
    .replace(/\*\*[A-Z ]+\*\*:\s*/g, '')
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/[#*`>_]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const snippet = plain.startsWith(r.title) ? plain.slice(r.title.length).trim() : plain;
  return { id: r.id, title: r.title, category: r.category, snippet: snippet.length > 220 ? `${snippet.slice(0, 217).trimEnd()}…` : snippet };
}
