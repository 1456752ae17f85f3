// Repository layering check (run by `pnpm lint`).
//
// Fails on:
//  1. an @edge/* dependency or import that points up (or sideways) in the order of DESIGN.md
//     (layers.json encodes it; the allowed set of a package is the transitive closure of its
//     listed edges);
//  2. an import of an @edge/* package that the importer's package.json does not declare;
//  3. a deep import (`@edge/x/internal/...`) that is not one of x's `exports` subpaths;
//  4. an import cycle between the files of one package, or between packages;
//  5. a folder under packages/ that layers.json does not know (so new packages get placed);
//  6. a published package that breaks the package shape of CONVENTIONS.md (ESM, sideEffects
//     false, `exports` with `types` first, a README, src/index.ts opening with a
//     @packageDocumentation comment, src/errors.ts).
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative, extname } from 'node:path';
import ts from 'typescript';

const SOURCE_EXT = new Set(['.ts', '.tsx', '.mts', '.js', '.mjs']);

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function listDirs(path) {
  if (!existsSync(path)) return [];
  return readdirSync(path, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => join(path, d.name))
    .filter((d) => existsSync(join(d, 'package.json')));
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (SOURCE_EXT.has(extname(entry.name)) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file) {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Resolves a relative import to a file inside the package (TS allows `.js` for `.ts`). */
function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base];
  const ext = extname(base);
  if (ext === '.js' || ext === '.mjs') {
    const stem = base.slice(0, -ext.length);
    candidates.push(stem + '.ts', stem + '.tsx', stem + '.mts');
  } else {
    for (const e of SOURCE_EXT) candidates.push(base + e);
    for (const e of SOURCE_EXT) candidates.push(join(base, 'index' + e));
  }
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

function closure(edges) {
  const memo = new Map();
  const visit = (name, stack) => {
    if (memo.has(name)) return memo.get(name);
    if (stack.has(name)) throw new Error(`layers.json itself has a cycle through ${name}`);
    stack.add(name);
    const out = new Set();
    for (const dep of edges[name] ?? []) {
      out.add(dep);
      for (const d of visit(dep, stack)) out.add(d);
    }
    stack.delete(name);
    memo.set(name, out);
    return out;
  };
  for (const name of Object.keys(edges)) visit(name, new Set());
  return memo;
}

/** Finds cycles in a directed graph (Map<node, Set<node>>) with Tarjan's SCC algorithm. */
export function findCycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
  const strong = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
      const selfLoop = (graph.get(v) ?? new Set()).has(v);
      if (scc.length > 1 || selfLoop) cycles.push(scc.reverse());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return cycles;
}

/** The package shape of CONVENTIONS.md, for a published package. */
export function checkShape(dir, pkg, where) {
  const out = [];
  if (pkg.private) return out;
  if (pkg.type !== 'module') out.push(`${where}: package.json must set "type": "module"`);
  if (pkg.sideEffects !== false) out.push(`${where}: package.json must set "sideEffects": false`);
  const root = pkg.exports?.['.'];
  if (typeof root !== 'object' || root === null) out.push(`${where}: package.json must have an "exports" map with "."`);
  else if (Object.keys(root)[0] !== 'types') out.push(`${where}: "exports"["."] must list "types" first`);
  if (!existsSync(join(dir, 'README.md'))) out.push(`${where}: README.md is missing`);
  if (!existsSync(join(dir, 'src/errors.ts'))) out.push(`${where}: src/errors.ts is missing`);
  const index = join(dir, 'src/index.ts');
  if (!existsSync(index)) out.push(`${where}: src/index.ts is missing`);
  else if (!readFileSync(index, 'utf8').slice(0, 400).includes('@packageDocumentation')) out.push(`${where}: src/index.ts must open with a @packageDocumentation comment`);
  return out;
}

/**
 * Checks the repository at `root`; returns a list of human-readable problems (empty = pass).
 * @param {string} root
 * @param {{ layers?: any }} [options]
 */
export function checkRepo(root, options = {}) {
  const layers = options.layers ?? readJson(join(root, 'tooling/config/layers.json'));
  const problems = [];
  const allowed = closure(layers.packages);
  const toolingNames = new Set(layers.tooling ?? []);

  const workspaces = [];
  for (const group of ['packages', 'apps', 'benchmarks', 'tooling']) {
    for (const dir of listDirs(join(root, group))) {
      const pkg = readJson(join(dir, 'package.json'));
      workspaces.push({ group, dir, pkg, folder: relative(join(root, group), dir) });
    }
  }
  const byName = new Map(workspaces.map((w) => [w.pkg.name, w]));
  const pkgGraph = new Map();

  for (const w of workspaces) {
    const where = relative(root, w.dir);
    if (w.group === 'packages') {
      if (w.pkg.name !== `@edge/${w.folder}`) problems.push(`${where}: package name must be @edge/${w.folder}, found ${w.pkg.name}`);
      if (!(w.folder in layers.packages)) problems.push(`${where}: not placed in tooling/config/layers.json (add it with its allowed dependencies)`);
      problems.push(...checkShape(w.dir, w.pkg, where));
    }
    const mayUse = (name) => {
      if (toolingNames.has(name)) return true;
      if (w.group === 'apps' || w.group === 'benchmarks') return true;
      if (w.group === 'tooling') return false;
      const target = name.replace(/^@edge\//, '');
      return allowed.get(w.folder)?.has(target) ?? false;
    };
    const declared = new Set([
      ...Object.keys(w.pkg.dependencies ?? {}),
      ...Object.keys(w.pkg.devDependencies ?? {}),
      ...Object.keys(w.pkg.peerDependencies ?? {}),
      ...Object.keys(w.pkg.optionalDependencies ?? {}),
    ]);
    const edges = new Set();
    for (const dep of declared) {
      if (!byName.has(dep) || dep === w.pkg.name) continue;
      if (!toolingNames.has(dep)) edges.add(dep);
      if (!mayUse(dep)) problems.push(`${where}: depends on ${dep}, which points up or sideways in DESIGN.md's dependency order`);
    }
    pkgGraph.set(w.pkg.name, edges);

    const files = [...walk(join(w.dir, 'src')), ...walk(join(w.dir, 'test')), ...walk(join(w.dir, 'scripts'))];
    const fileGraph = new Map();
    for (const file of files) {
      const rel = relative(root, file);
      const local = new Set();
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = resolveRelative(file, spec);
          if (target && file.includes(`${join(w.dir, 'src')}`) && target.includes(join(w.dir, 'src'))) local.add(target);
          continue;
        }
        const m = /^(@edge\/[^/]+)(\/.*)?$/.exec(spec);
        if (!m) continue;
        const [, name, sub] = m;
        if (name === w.pkg.name) {
          if (file.includes(join(w.dir, 'src'))) problems.push(`${rel}: imports its own package by name (${spec}); use a relative import`);
          continue;
        }
        if (!byName.has(name)) { problems.push(`${rel}: imports ${name}, which is not a workspace package`); continue; }
        if (!mayUse(name)) problems.push(`${rel}: imports ${name}, which points up or sideways in DESIGN.md's dependency order`);
        else if (!declared.has(name)) problems.push(`${rel}: imports ${name} without declaring it in package.json`);
        if (sub) {
          const exportsMap = byName.get(name).pkg.exports ?? {};
          const key = '.' + sub;
          if (typeof exportsMap !== 'object' || !(key in exportsMap)) problems.push(`${rel}: deep import ${spec} is not part of ${name}'s public surface`);
        }
        if (!toolingNames.has(name)) edges.add(name);
      }
      fileGraph.set(file, local);
    }
    for (const cycle of findCycles(fileGraph)) {
      problems.push(`${where}: import cycle: ${[...cycle, cycle[0]].map((f) => relative(w.dir, f)).join(' -> ')}`);
    }
  }
  for (const cycle of findCycles(pkgGraph)) problems.push(`package cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  return problems;
}
