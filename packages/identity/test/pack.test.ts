// The published artifact works outside the workspace: `pnpm pack`, unpack into a fresh folder,
// and import it from a plain Node ESM script (dependencies linked from this install, since the
// test must not need the network).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('packed @edge/identity', () => {
  it('imports and works from a plain Node ESM script outside the workspace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-identity-pack-'));
    try {
      execFileSync('pnpm', ['pack', '--pack-destination', dir], { cwd: pkgDir, stdio: 'pipe' });
      const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
      const target = join(dir, 'node_modules/@edge/identity');
      mkdirSync(target, { recursive: true });
      execFileSync('tar', ['xzf', join(dir, tarball), '-C', target, '--strip-components=1']);
      const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      expect(Object.keys(manifest.dependencies).sort()).toEqual(["@noble/ciphers", "@noble/curves", "@noble/hashes", "cborg"]);
      for (const dep of Object.keys(manifest.dependencies)) {
        const link = join(dir, 'node_modules', dep);
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(realpathSync(join(pkgDir, 'node_modules', dep)), link);
      }
      writeFileSync(
        join(dir, 'main.mjs'),
        `import { PiKey, seal, openSync, nativeEd25519Available } from '@edge/identity';
const key = PiKey.generate();
const env = openSync(seal(key, 'edge.hello', { n: 1 }));
console.log(JSON.stringify({ short: key.getShortId(), body: env.body, native: nativeEd25519Available(), ok: PiKey.verify(new Uint8Array([1]), key.sign(new Uint8Array([1])), key.publicKey) }));
`,
      );
      const out = JSON.parse(execFileSync('node', ['main.mjs'], { cwd: dir, encoding: 'utf8' }));
      expect(out.short).toMatch(/^π:[0-9a-f]{8}$/);
      expect(out.body).toEqual({ n: 1 });
      expect(out.native).toBe(true);
      expect(out.ok).toBe(true);
      // Only the built artifact and docs ship.
      const files = readdirSync(target).sort();
      expect(files).toEqual(expect.arrayContaining(['README.md', 'dist', 'package.json', 'LICENSE']));
      expect(files).not.toContain('src');
      expect(files).not.toContain('test');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
