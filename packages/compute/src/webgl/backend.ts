/**
 * The webgl backend: WebGL2 fragment shaders on float textures, the fallback for devices without
 * WebGPU (the GPGPU technique of TensorFlow.js's WebGL backend and of Krüger & Westermann,
 * "Linear algebra operators for GPU implementation of numerical algorithms", 2003).
 *
 * Matmul: op(A) is uploaded as an RGBA32F texture holding four consecutive k-values per texel
 * (m rows × ⌈k/4⌉ texels) and op(B) as four consecutive columns per texel (⌈k/4⌉·4 rows ×
 * ⌈n/4⌉ texels); each fragment of an RGBA32F render target computes four adjacent outputs, so
 * one A fetch and four B fetches feed sixteen multiply-adds. Transposed operands are transposed
 * on the CPU first (O(mk), small beside the O(mkn) product). Dot/cosine use a row-dots shader,
 * element-wise kernels a flat RGBA layout. Attention and LoRA run their products on the GPU and
 * their softmax / residual on the CPU; softmax, reductions and top-k use the CPU kernels
 * (WebGL2 has no compute shaders or atomics, so a reduction would take log-depth passes).
 *
 * Requires EXT_color_buffer_float (rendering to 32-bit float targets); without it the backend
 * reports itself unavailable rather than computing in lower precision.
 */
import type { Backend, BackendFactory, CreateOptions } from '../types.js';
import { wrapBackend, type KernelImpl } from '../impl.js';
import { BackendUnavailableError, DeviceLostError, ResourceLimitError } from '../errors.js';
import * as cpu from '../cpu/kernels.js';

const VERT = `#version 300 es
void main() {
  // one triangle covering the viewport, from gl_VertexID alone (no vertex buffers)
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const HEAD = `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
out vec4 o;
`;

const MATMUL = `${HEAD}
uniform sampler2D A;
uniform sampler2D B;
uniform int K4;
void main() {
  ivec2 c = ivec2(gl_FragCoord.xy);
  vec4 acc = vec4(0.0);
  for (int p = 0; p < K4; p++) {
    vec4 a = texelFetch(A, ivec2(p, c.y), 0);
    int r = p * 4;
    acc += a.x * texelFetch(B, ivec2(c.x, r), 0);
    acc += a.y * texelFetch(B, ivec2(c.x, r + 1), 0);
    acc += a.z * texelFetch(B, ivec2(c.x, r + 2), 0);
    acc += a.w * texelFetch(B, ivec2(c.x, r + 3), 0);
  }
  o = acc;
}`;

const ROWDOTS = `${HEAD}
uniform sampler2D M;
uniform sampler2D Q;
uniform int D4;
uniform int ROWS;
uniform int COS;
void main() {
  int x = int(gl_FragCoord.x);
  float qq = 0.0;
  for (int p = 0; p < D4; p++) { vec4 q = texelFetch(Q, ivec2(p, 0), 0); qq += dot(q, q); }
  vec4 res = vec4(0.0);
  for (int t = 0; t < 4; t++) {
    int r = x * 4 + t;
    if (r >= ROWS) break;
    float d = 0.0, mm = 0.0;
    for (int p = 0; p < D4; p++) {
      vec4 m = texelFetch(M, ivec2(p, r), 0);
      d += dot(m, texelFetch(Q, ivec2(p, 0), 0));
      mm += dot(m, m);
    }
    if (COS != 0) { float den = sqrt(mm) * sqrt(qq); d = den > 0.0 ? d / den : 0.0; }
    res[t] = d;
  }
  o = res;
}`;

function elementwise(expr: string, binary: boolean): string {
  return `${HEAD}
uniform sampler2D X;
${binary ? 'uniform sampler2D Y;' : ''}
void main() {
  ivec2 c = ivec2(gl_FragCoord.xy);
  vec4 x = texelFetch(X, c, 0);
  ${binary ? 'vec4 y = texelFetch(Y, c, 0);' : ''}
  o = ${expr};
}`;
}

const EW = {
  add: elementwise('x + y', true),
  mul: elementwise('x * y', true),
  relu: elementwise('max(x, vec4(0.0))', false),
  sigmoid: elementwise('1.0 / (1.0 + exp(-clamp(x, -88.0, 88.0)))', false),
  gelu: elementwise('x / (1.0 + exp(-2.0 * clamp(0.7978845608 * (x + 0.044715 * x * x * x), -15.0, 15.0)))', false),
};

export interface WebGLOptions extends Pick<CreateOptions, 'canvas'> {}

/** Creates the webgl backend; rejects with BackendUnavailableError without WebGL2 + float targets. */
export async function createWebGLBackend(options: WebGLOptions = {}): Promise<Backend> {
  let canvas = options.canvas;
  if (!canvas) {
    if (typeof OffscreenCanvas === 'function') canvas = new OffscreenCanvas(1, 1);
    else if (typeof document !== 'undefined') canvas = document.createElement('canvas');
    else throw new BackendUnavailableError('webgl', 'no canvas (OffscreenCanvas or document) in this runtime');
  }
  const gl = canvas.getContext('webgl2', { antialias: false, depth: false, stencil: false, alpha: true, preserveDrawingBuffer: false, powerPreference: 'high-performance' }) as WebGL2RenderingContext | null;
  if (!gl) throw new BackendUnavailableError('webgl', 'WebGL2 is not available');
  if (!gl.getExtension('EXT_color_buffer_float')) throw new BackendUnavailableError('webgl', 'EXT_color_buffer_float is not supported');
  const maxTex = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
  const vp = gl.getParameter(gl.MAX_VIEWPORT_DIMS) as Int32Array;
  const maxW = Math.min(maxTex, vp[0]!), maxH = Math.min(maxTex, vp[1]!);
  const renderer = (() => {
    const dbg = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(dbg ? dbg.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  })();

  const compile = (type: number, src: string): WebGLShader => {
    const sh = gl.createShader(type)!;
    gl.shaderSource(sh, src);
    gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new BackendUnavailableError('webgl', `shader compile failed: ${gl.getShaderInfoLog(sh)}`);
    return sh;
  };
  const vert = compile(gl.VERTEX_SHADER, VERT);
  const programs = new Map<string, WebGLProgram>();
  const program = (key: string, src: string): WebGLProgram => {
    let p = programs.get(key);
    if (p) return p;
    p = gl.createProgram()!;
    gl.attachShader(p, vert);
    gl.attachShader(p, compile(gl.FRAGMENT_SHADER, src));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new BackendUnavailableError('webgl', `program link failed: ${gl.getProgramInfoLog(p)}`);
    programs.set(key, p);
    return p;
  };
  // Compile every program now so a driver that cannot run them fails creation, not a later call.
  program('matmul', MATMUL);
  program('rowdots', ROWDOTS);
  for (const [k, src] of Object.entries(EW)) program(k, src);
  const fbo = gl.createFramebuffer();
  const vao = gl.createVertexArray();

  const alive = (): void => {
    if (gl.isContextLost()) throw new DeviceLostError('WebGL context lost');
  };
  const fits = (w: number, h: number, what: string): void => {
    if (w > maxW || h > maxH) throw new ResourceLimitError(`${what} needs a ${w}×${h} texture; the limit here is ${maxW}×${maxH}`);
  };

  /** An RGBA32F texture of w×h texels from `data` (w·h·4 floats, or null for a render target). */
  const texture = (w: number, h: number, data: Float32Array | null): WebGLTexture => {
    const t = gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_2D, t);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA32F, w, h, 0, gl.RGBA, gl.FLOAT, data);
    return t;
  };

  /** Rows×cols matrix as texels of 4 consecutive row elements: ⌈cols/4⌉ × rowsPadded texels. */
  const packRows = (src: Float32Array, rows: number, cols: number, rowsPadded = rows): Float32Array => {
    const w4 = Math.ceil(cols / 4) * 4;
    if (w4 === cols && rowsPadded === rows) return src;
    const out = new Float32Array(w4 * rowsPadded);
    for (let r = 0; r < rows; r++) out.set(src.subarray(r * cols, r * cols + cols), r * w4);
    return out;
  };

  /** Runs `prog` into a fresh w×h RGBA32F target and reads it back (w·h·4 floats). */
  const run = (prog: WebGLProgram, inputs: [string, WebGLTexture][], ints: [string, number][], w: number, h: number): Float32Array => {
    const target = texture(w, h, null);
    try {
      gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, target, 0);
      if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) throw new DeviceLostError('float render target is incomplete');
      gl.useProgram(prog);
      inputs.forEach(([name, tex], unit) => {
        gl.activeTexture(gl.TEXTURE0 + unit);
        gl.bindTexture(gl.TEXTURE_2D, tex);
        gl.uniform1i(gl.getUniformLocation(prog, name), unit);
      });
      for (const [name, v] of ints) gl.uniform1i(gl.getUniformLocation(prog, name), v);
      gl.viewport(0, 0, w, h);
      gl.bindVertexArray(vao);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
      const out = new Float32Array(w * h * 4);
      gl.readPixels(0, 0, w, h, gl.RGBA, gl.FLOAT, out);
      alive();
      return out;
    } finally {
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.deleteTexture(target);
    }
  };

  /** One tile: C (m×n) = A (m×k) · B (k×n), all within the texture limits. */
  const matmulTile = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void => {
    const k4 = Math.ceil(k / 4), n4 = Math.ceil(n / 4);
    fits(k4, m, 'matmul A'); fits(n4, k4 * 4, 'matmul B'); fits(n4, m, 'matmul C');
    const ta = texture(k4, m, packRows(a, m, k));
    const tb = texture(n4, k4 * 4, packRows(b, k, n, k4 * 4));
    try {
      const res = run(program('matmul', MATMUL), [['A', ta], ['B', tb]], [['K4', k4]], n4, m);
      if (n4 * 4 === n) out.set(res.subarray(0, m * n));
      else for (let r = 0; r < m; r++) out.set(res.subarray(r * n4 * 4, r * n4 * 4 + n), r * n);
    } finally {
      gl.deleteTexture(ta);
      gl.deleteTexture(tb);
    }
  };

  // Largest tile the textures allow: rows of A and C up to the height limit, k up to what fits
  // both A's width (4 per texel) and B's height, n up to C's and B's width (4 per texel).
  const MT = maxH, KT = Math.min(4 * maxW, Math.floor(maxH / 4) * 4), NT = 4 * maxW;

  /** C (m×n) = A (m×k) · B (k×n), row-major; split into tiles when a texture limit is exceeded. */
  const matmulNN = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void => {
    if (m <= MT && k <= KT && n <= NT) { matmulTile(a, b, m, k, n, out); return; }
    out.fill(0);
    for (let i0 = 0; i0 < m; i0 += MT) {
      const mc = Math.min(MT, m - i0);
      for (let j0 = 0; j0 < n; j0 += NT) {
        const nc = Math.min(NT, n - j0);
        const part = new Float32Array(mc * nc);
        for (let p0 = 0; p0 < k; p0 += KT) {
          const kc = Math.min(KT, k - p0);
          const at = new Float32Array(mc * kc), bt = new Float32Array(kc * nc);
          for (let r = 0; r < mc; r++) at.set(a.subarray((i0 + r) * k + p0, (i0 + r) * k + p0 + kc), r * kc);
          for (let r = 0; r < kc; r++) bt.set(b.subarray((p0 + r) * n + j0, (p0 + r) * n + j0 + nc), r * nc);
          matmulTile(at, bt, mc, kc, nc, part);
          // partial products over k add up on the CPU (float textures cannot be blended reliably)
          for (let r = 0; r < mc; r++) {
            const o = (i0 + r) * n + j0;
            for (let c = 0; c < nc; c++) out[o + c]! += part[r * nc + c]!;
          }
        }
      }
    }
  };

  const matmul = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean, out: Float32Array): void => {
    const A = transA ? cpu.transpose(a, k, m, new Float32Array(m * k)) : a;
    const B = transB ? cpu.transpose(b, n, k, new Float32Array(k * n)) : b;
    matmulNN(A, B, m, k, n, out);
  };

  /** Flat RGBA layout of `len` floats: texel i holds elements 4i..4i+3. */
  const flat = (len: number): [number, number] => {
    const n4 = Math.ceil(len / 4), w = Math.min(n4, maxW), h = Math.ceil(n4 / w);
    fits(w, h, 'element-wise');
    return [w, h];
  };
  const padFlat = (x: Float32Array, w: number, h: number): Float32Array => {
    if (x.length === w * h * 4) return x;
    const p = new Float32Array(w * h * 4);
    p.set(x);
    return p;
  };

  const impl: KernelImpl = {
    info: {
      name: 'webgl',
      detail: `WebGL2 fragment shaders on RGBA32F textures (${renderer}, max texture ${maxTex})`,
      native: ['matmul', 'dot', 'cosine', 'attention', 'loraForward', 'add', 'mul', 'relu', 'sigmoid', 'gelu'],
    },
    matmul(a, b, s, out) {
      alive();
      matmul(a, b, s.m, s.k, s.n, s.transA, s.transB, out);
    },
    dot(q, mat, s, cosine, out) {
      alive();
      const d4 = Math.ceil(s.dim / 4);
      fits(d4, 1, 'dot');
      const tq = texture(d4, 1, packRows(q, 1, s.dim));
      try {
        // matrix rows in chunks that fit the texture height
        for (let r0 = 0; r0 < s.rows; r0 += maxH) {
          const rows = Math.min(maxH, s.rows - r0);
          const tm = texture(d4, rows, packRows(mat.subarray(r0 * s.dim, (r0 + rows) * s.dim), rows, s.dim));
          try {
            const res = run(program('rowdots', ROWDOTS), [['M', tm], ['Q', tq]], [['D4', d4], ['ROWS', rows], ['COS', cosine ? 1 : 0]], Math.ceil(rows / 4), 1);
            out.set(res.subarray(0, rows), r0);
          } finally {
            gl.deleteTexture(tm);
          }
        }
      } finally {
        gl.deleteTexture(tq);
      }
    },
    softmax: cpu.softmax,
    attention(q, k, v, s, out) {
      alive();
      const scores = new Float32Array(s.seqQ * s.seqK);
      const qs = new Float32Array(q.length);
      for (let i = 0; i < q.length; i++) qs[i] = q[i]! * s.scale;
      matmul(qs, k, s.seqQ, s.dim, s.seqK, false, true, scores);
      if (s.causal) {
        const shift = s.seqK - s.seqQ;
        for (let i = 0; i < s.seqQ; i++) scores.fill(-Infinity, i * s.seqK + Math.max(0, i + shift + 1), (i + 1) * s.seqK);
      }
      cpu.softmax(scores, { rows: s.seqQ, cols: s.seqK }, scores);
      matmulNN(scores, v, s.seqQ, s.seqK, s.dimV, out);
    },
    lora(x, a, b, base, s, out) {
      alive();
      const h = new Float32Array(s.batch * s.rank);
      matmul(x, a, s.batch, s.dIn, s.rank, false, true, h);
      for (let i = 0; i < h.length; i++) h[i]! *= s.scale;
      matmul(h, b, s.batch, s.rank, s.dOut, false, true, out);
      for (let i = 0; i < out.length; i++) out[i]! += base[i]!;
    },
    binary(op, a, b, out) {
      alive();
      const [w, h] = flat(a.length);
      const ta = texture(w, h, padFlat(a, w, h)), tb = texture(w, h, padFlat(b, w, h));
      try {
        out.set(run(program(op, EW[op]), [['X', ta], ['Y', tb]], [], w, h).subarray(0, a.length));
      } finally {
        gl.deleteTexture(ta);
        gl.deleteTexture(tb);
      }
    },
    unary(op, x, out) {
      alive();
      const [w, h] = flat(x.length);
      const tx = texture(w, h, padFlat(x, w, h));
      try {
        out.set(run(program(op, EW[op]), [['X', tx]], [], w, h).subarray(0, x.length));
      } finally {
        gl.deleteTexture(tx);
      }
    },
    reduce: cpu.reduce,
    topK: cpu.topK,
    dispose() {
      for (const p of programs.values()) gl.deleteProgram(p);
      programs.clear();
      gl.deleteShader(vert);
      gl.deleteFramebuffer(fbo);
      gl.deleteVertexArray(vao);
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    },
  };
  return wrapBackend('webgl', impl);
}

/** Registry entry of the webgl backend. */
export const webglBackend: BackendFactory = {
  name: 'webgl',
  priority: 300,
  isSupported: (o) => o.canvas !== undefined || typeof OffscreenCanvas === 'function' || typeof document !== 'undefined',
  create: (o) => createWebGLBackend({ canvas: o.canvas }),
};
