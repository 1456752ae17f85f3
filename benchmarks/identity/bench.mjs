// @edge/identity against node:crypto (OpenSSL) and hash-wasm, measured in one run.
// Each figure is the median of several timed rounds; ratios compare against node:crypto.
// Writes results/results.json and results/results.md. Usage: pnpm bench [--quick]
import { createCipheriv, createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argon2id as hashWasmArgon2id } from 'hash-wasm';
import { ed25519 } from '@noble/curves/ed25519.js';
import { PiKey, SessionKey, createVerifier } from '@edge/identity';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const ROUND_MS = quick ? 300 : 1000;
const here = dirname(fileURLToPath(import.meta.url));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** ops/s of `fn` (which performs `per` operations per call), median over rounds. */
async function rate(fn, per = 1) {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ROUND_MS) {
      await fn();
      n += per;
      t = performance.now();
    }
    rates.push((n * 1000) / (t - t0));
  }
  return median(rates);
}

/**
 * ops/s of several candidates measured in interleaved rounds (A B C A B C ...), so that load
 * from other processes drifting over time hits every candidate alike. Returns medians.
 */
async function rates(candidates) {
  const names = Object.keys(candidates);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < 20; i++) await candidates[n].fn();
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of names) {
      const { fn, per = 1 } = candidates[n];
      let count = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < ROUND_MS) {
        await fn();
        count += per;
        t = performance.now();
      }
      samples[n].push((count * 1000) / (t - t0));
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

async function time(fn, rounds) {
  await fn();
  const ts = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const results = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, rounds: ROUNDS, rows: [] };
const row = (group, name, value, unit, baseline) => {
  const r = { group, name, value: Math.round(value * 100) / 100, unit };
  if (baseline !== undefined) r.ratio = Math.round((value / baseline) * 100) / 100;
  results.rows.push(r);
  console.log(`${group.padEnd(10)} ${name.padEnd(44)} ${r.value.toLocaleString().padStart(12)} ${unit}${r.ratio !== undefined ? `  (${r.ratio}x node:crypto)` : ''}`);
};

// ---- Ed25519 -------------------------------------------------------------------------------
const key = PiKey.generate();
const seed = key.exportSeed();
const msg = randomBytes(128);
const sig = key.sign(msg);
const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
const nodePriv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
const nodePub = createPublicKey(nodePriv);

const webKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
const sg = await rates({
  node: { fn: () => nodeSign(null, msg, nodePriv) },
  sign: { fn: () => key.sign(msg) },
  signAsync: { fn: () => key.signAsync(msg) },
  web: { fn: () => crypto.subtle.sign({ name: 'Ed25519' }, webKey, msg) },
  noble: { fn: () => ed25519.sign(msg, seed) },
});
row('sign', 'node:crypto (sync)', sg.node, 'ops/s');
row('sign', '@edge/identity PiKey.sign (Node: native path)', sg.sign, 'ops/s', sg.node);
row('sign', '@edge/identity PiKey.signAsync (Node: native path)', sg.signAsync, 'ops/s', sg.node);
row('sign', 'WebCrypto path (browsers: PiKey.signAsync)', sg.web, 'ops/s', sg.node);
row('sign', 'noble path (fallback: PiKey.sign in browsers)', sg.noble, 'ops/s', sg.node);

// Verification over many distinct keys (as a ledger sees them).
const N = 256;
const items = Array.from({ length: N }, () => {
  const k = PiKey.generate();
  const m = randomBytes(128);
  return { signature: k.sign(m), message: m, publicKey: k.publicKey, node: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(k.publicKey).toString('base64url') }, format: 'jwk' }) };
});
const noble = createVerifier({ backend: 'noble' });
const web = createVerifier({ backend: 'webcrypto' });
let i = 0;
const nat = createVerifier({ backend: 'native' });
const pick = () => items[i++ % N];
const v = await rates({
  node: { fn: () => { const it = pick(); if (!nodeVerify(null, it.message, it.node, it.signature)) throw new Error('verify failed'); } },
  native: { fn: () => { const it = pick(); if (!nat.verify(it.signature, it.message, it.publicKey)) throw new Error('verify failed'); } },
  webAsync: { fn: async () => { const it = pick(); if (!(await web.verifyAsync(it.signature, it.message, it.publicKey))) throw new Error('verify failed'); } },
  webBatch: { fn: async () => { const ok = await web.verifyBatch(items); if (ok.some((x) => !x)) throw new Error('verify failed'); }, per: N },
  noble: { fn: () => { const it = pick(); if (!noble.verify(it.signature, it.message, it.publicKey)) throw new Error('verify failed'); } },
});
const nodeVerifyRate = v.node;
const nativeRate = v.native;
const batchRate = v.webBatch;
row('verify', 'node:crypto (sync, KeyObject cached)', v.node, 'ops/s');
row('verify', '@edge/identity verify (Node: native path)', v.native, 'ops/s', v.node);
row('verify', '@edge/identity verifyAsync (WebCrypto path)', v.webAsync, 'ops/s', v.node);
row('verify', `@edge/identity verifyBatch (WebCrypto path, ${N}/batch)`, v.webBatch, 'ops/s', v.node);
row('verify', '@edge/identity verify (noble path)', v.noble, 'ops/s', v.node);
const webRatio = batchRate / nodeVerifyRate;
const natRatio = nativeRate / nodeVerifyRate;
results.verifyGoal = { goal: 0.75, native: Math.round(natRatio * 100) / 100, webcryptoBatch: Math.round(webRatio * 100) / 100, met: Math.max(natRatio, webRatio) >= 0.75 };

// ---- Backup (Argon2id 64 MiB, t=3, p=1) -----------------------------------------------------
const backupRounds = quick ? 3 : 7;
const pw = 'correct horse battery staple';
const hashWasmMs = await time(() => hashWasmArgon2id({ password: pw, salt: randomBytes(16), iterations: 3, memorySize: 65536, parallelism: 1, hashLength: 32, outputType: 'binary' }), backupRounds);
row('backup', 'hash-wasm argon2id (64 MiB, t=3, p=1)', hashWasmMs, 'ms');
const backupMs = await time(() => key.createEncryptedBackup(pw), backupRounds);
results.rows.push({ group: 'backup', name: '@edge/identity createEncryptedBackup (same params)', value: Math.round(backupMs), unit: 'ms', ratio: Math.round((hashWasmMs / backupMs) * 100) / 100, ratioOf: 'hash-wasm time / ours (higher is faster)' });
console.log(`backup     @edge/identity createEncryptedBackup              ${Math.round(backupMs)} ms (hash-wasm/ours ${(hashWasmMs / backupMs).toFixed(2)})`);
const backup = await key.createEncryptedBackup(pw);
row('backup', '@edge/identity PiKey.restore', await time(() => PiKey.restore(backup, pw), backupRounds), 'ms');

// ---- AES-256-GCM on 1 MB ---------------------------------------------------------------------
const MB = 1 << 20;
const data = randomBytes(MB);
const aesKey = randomBytes(32);
const session = SessionKey.create(key, 3600);
const ct = await session.encrypt(data);
const aes = await rates({
  node: { fn: () => { const c = createCipheriv('aes-256-gcm', aesKey, randomBytes(12)); c.update(data); c.final(); c.getAuthTag(); } },
  enc: { fn: () => session.encrypt(data) },
  encSync: { fn: () => session.encryptSync(data) },
  dec: { fn: () => session.decrypt(ct) },
});
row('aes-gcm', 'node:crypto AES-256-GCM encrypt 1 MB', aes.node, 'MB/s');
row('aes-gcm', '@edge/identity SessionKey.encrypt (WebCrypto)', aes.enc, 'MB/s', aes.node);
row('aes-gcm', '@edge/identity SessionKey.encryptSync (noble)', aes.encSync, 'MB/s', aes.node);
row('aes-gcm', '@edge/identity SessionKey.decrypt (WebCrypto)', aes.dec, 'MB/s', aes.node);

// ---- Output ----------------------------------------------------------------------------------
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/results.json'), JSON.stringify(results, null, 2) + '\n');
let md = `# @edge/identity benchmark\n\n${results.date.slice(0, 10)} · Node ${results.node} · ${results.cpus} cores (${results.cpu}) · median of ${ROUNDS} rounds\n\n`;
md += '| group | measurement | value | unit | ratio vs node:crypto |\n|---|---|---:|---|---:|\n';
for (const r of results.rows) md += `| ${r.group} | ${r.name} | ${r.value.toLocaleString('en-US')} | ${r.unit} | ${r.ratio !== undefined ? r.ratio + (r.ratioOf ? ' (hash-wasm time / ours)' : 'x') : ''} |\n`;
md += `\nVerify goal (>= 0.75x node:crypto): native path ${results.verifyGoal.native}x, WebCrypto batch ${results.verifyGoal.webcryptoBatch}x — ${results.verifyGoal.met ? 'met' : 'not met'}.\n`;
writeFileSync(join(here, 'results/results.md'), md);
console.log(`\nwrote ${join(here, 'results/results.md')}`);
