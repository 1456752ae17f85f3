/**
 * What this browser offers, and what the page says where something is missing: the node needs
 * Web Workers and IndexedDB; WebGPU and SharedArrayBuffer are optional (the built-in task types
 * run on the CPU, WebAssembly SIMD where available), so their absence is a notice, not a failure.
 */

export interface Capabilities {
  readonly workers: boolean;
  readonly indexedDB: boolean;
  readonly secureContext: boolean;
  readonly crossOriginIsolated: boolean;
  readonly sharedArrayBuffer: boolean;
  readonly webgpu: 'adapter' | 'no-adapter' | 'absent';
  readonly wasmSimd: boolean;
}

/** The smallest module using a v128 instruction (i32x4.splat); validates only with SIMD support. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11]);

export async function detect(): Promise<Capabilities> {
  let webgpu: Capabilities['webgpu'] = 'absent';
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu !== undefined) {
    try {
      webgpu = (await gpu.requestAdapter()) ? 'adapter' : 'no-adapter';
    } catch {
      webgpu = 'no-adapter';
    }
  }
  let wasmSimd = false;
  try {
    wasmSimd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    wasmSimd = false;
  }
  return {
    workers: typeof Worker === 'function',
    indexedDB: typeof indexedDB === 'object' && indexedDB !== null,
    secureContext: globalThis.isSecureContext === true,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    webgpu,
    wasmSimd,
  };
}

export interface Notice {
  readonly level: 'bad' | 'warn' | 'info';
  readonly text: string;
}

/** Messages for what is missing; a `bad` one means the node cannot run here. */
export function notices(c: Capabilities): Notice[] {
  const out: Notice[] = [];
  if (!c.workers || !c.indexedDB) {
    out.push({ level: 'bad', text: `This browser lacks ${[!c.workers && 'Web Workers', !c.indexedDB && 'IndexedDB'].filter(Boolean).join(' and ')}, which the node needs to run tasks off the page and to keep its identity. Try a current Chromium or Firefox (IndexedDB is also off in some private-browsing modes).` });
  }
  if (!c.secureContext) {
    out.push({ level: 'warn', text: 'This page is not a secure context (served over plain http from another machine), so the browser withholds WebCrypto and Web Locks: signing falls back to JavaScript and a second tab is not stopped from opening the same node. Open it as http://localhost or over https.' });
  }
  if (!c.sharedArrayBuffer || !c.crossOriginIsolated) {
    out.push({ level: 'warn', text: 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (it needs the COOP/COEP headers the hub sends). The node still runs; its Web Worker exchanges copies instead of shared memory.' });
  }
  if (c.webgpu !== 'adapter') {
    out.push({ level: 'info', text: `${c.webgpu === 'absent' ? 'WebGPU is not available in this browser' : 'WebGPU is present but offers no adapter'}: tasks run on the CPU (${c.wasmSimd ? 'WebAssembly SIMD' : 'plain JavaScript'}) in a Web Worker, with the same results.` });
  }
  return out;
}

export function summary(c: Capabilities): string {
  const mark = (b: boolean) => (b ? '✓' : '✗');
  return `WebGPU ${mark(c.webgpu === 'adapter')} · SharedArrayBuffer ${mark(c.sharedArrayBuffer && c.crossOriginIsolated)} · WASM SIMD ${mark(c.wasmSimd)}`;
}
