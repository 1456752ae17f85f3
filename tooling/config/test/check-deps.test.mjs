import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { checkRepo, findCycles } from '../src/check-deps.js';

const layers = { packages: { identity: [], economy: ['identity'], node: ['economy'] }, tooling: ['@edge/tsconfig'] };

function fixture(files) {
  const root = mkdtempSync(join(tmpdir(), 'edge-deps-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

const pkg = (name, deps = {}, extra = {}) => ({ name, version: '0.0.0', private: true, dependencies: deps, ...extra });

test('a clean layered repo passes', () => {
  const root = fixture({
    'packages/identity/package.json': pkg('@edge/identity'),
    'packages/identity/src/index.ts': "export * from './a.js';",
    'packages/identity/src/a.ts': 'export const a = 1;',
    'packages/economy/package.json': pkg('@edge/economy', { '@edge/identity': 'workspace:*' }),
    'packages/economy/src/index.ts': "import { a } from '@edge/identity'; export const b = a;",
    'packages/node/package.json': pkg('@edge/node', { '@edge/economy': 'workspace:*', '@edge/identity': 'workspace:*' }),
    'packages/node/src/index.ts': "import '@edge/identity'; import '@edge/economy';",
  });
  try {
    assert.deepEqual(checkRepo(root, { layers }), []);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('an upward import fails', () => {
  const root = fixture({
    'packages/identity/package.json': pkg('@edge/identity', { '@edge/economy': 'workspace:*' }),
    'packages/identity/src/index.ts': "import '@edge/economy';",
    'packages/economy/package.json': pkg('@edge/economy'),
    'packages/economy/src/index.ts': 'export {};',
    'packages/node/package.json': pkg('@edge/node'),
    'packages/node/src/index.ts': 'export {};',
  });
  try {
    const problems = checkRepo(root, { layers });
    assert.ok(problems.some((p) => p.includes('identity') && p.includes('points up')), problems.join('\n'));
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('a file-level import cycle fails and names the files', () => {
  const root = fixture({
    'packages/identity/package.json': pkg('@edge/identity'),
    'packages/identity/src/index.ts': "export * from './a.js';",
    'packages/identity/src/a.ts': "import { b } from './b.js'; export const a = () => b;",
    'packages/identity/src/b.ts': "import { a } from './a.js'; export const b = () => a;",
  });
  try {
    const problems = checkRepo(root, { layers });
    assert.ok(problems.some((p) => p.includes('import cycle') && p.includes('src/a.ts') && p.includes('src/b.ts')), problems.join('\n'));
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('undeclared imports, deep imports and unplaced packages fail', () => {
  const root = fixture({
    'packages/identity/package.json': pkg('@edge/identity', {}, { exports: { '.': './dist/index.js' } }),
    'packages/identity/src/index.ts': 'export {};',
    'packages/economy/package.json': pkg('@edge/economy', { '@edge/identity': 'workspace:*' }),
    'packages/economy/src/index.ts': "import '@edge/identity/src/secret.js';",
    'packages/node/package.json': pkg('@edge/node'),
    'packages/node/src/index.ts': "import '@edge/identity';",
    'packages/mystery/package.json': pkg('@edge/mystery'),
    'packages/mystery/src/index.ts': 'export {};',
  });
  try {
    const problems = checkRepo(root, { layers });
    assert.ok(problems.some((p) => p.includes('deep import')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('without declaring')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('packages/mystery') && p.includes('layers.json')), problems.join('\n'));
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('findCycles finds exactly the strongly connected cycles', () => {
  const g = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a', 'd'])],
    ['d', new Set(['d'])],
    ['e', new Set(['a'])],
  ]);
  const cycles = findCycles(g).map((c) => [...c].sort().join(''));
  assert.deepEqual(cycles.sort(), ['abc', 'd']);
});

test('a published package must keep the package shape', () => {
  const good = { name: '@edge/identity', version: '1.0.0', type: 'module', sideEffects: false, exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } };
  const root = fixture({
    'packages/identity/package.json': good,
    'packages/identity/README.md': '# identity',
    'packages/identity/src/errors.ts': 'export {};',
    'packages/identity/src/index.ts': '/** @packageDocumentation x */ export {};',
    'packages/economy/package.json': { ...good, name: '@edge/economy', sideEffects: true, exports: { '.': { default: './dist/index.js', types: './dist/index.d.ts' } } },
    'packages/economy/src/index.ts': 'export {};',
  });
  try {
    const problems = checkRepo(root, { layers });
    assert.ok(!problems.some((p) => p.startsWith('packages/identity')), problems.join('\n'));
    for (const needle of ['sideEffects', 'types" first', 'README.md', 'errors.ts', '@packageDocumentation']) {
      assert.ok(problems.some((p) => p.startsWith('packages/economy') && p.includes(needle)), `${needle}: ${problems.join('\n')}`);
    }
  } finally {
    rmSync(root, { recursive: true });
  }
});
