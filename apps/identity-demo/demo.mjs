// edge-net identity demo: the part of a node that exists today.
// Creates (or restores) a Pi-Key, signs and checks an envelope, opens a private session with a
// second key, and writes an encrypted backup to the data directory so the next run restores it.
//
//   pnpm start [-- --data-dir DIR] [-- --fresh]
//   EDGE_PASSWORD=...   password for the backup (default: a demo password, printed)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PiKey, SessionKey, GenesisKey, seal, open, createReplayGuard, IdentityError } from '@edge/identity';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const dataDir = resolve(value('--data-dir', process.env.EDGE_DATA_DIR ?? join(process.cwd(), '.data')));
const password = process.env.EDGE_PASSWORD ?? 'edge-net demo password';
const backupFile = join(dataDir, 'identity.backup');
const step = (s) => console.log(`\n▸ ${s}`);
const ms = (t0) => `${(performance.now() - t0).toFixed(0)} ms`;

console.log('edge-net — identity demo (the network node and hub are not built yet; this shows the identity layer)');
if (flag('--fresh')) rmSync(backupFile, { force: true });
mkdirSync(dataDir, { recursive: true });

let key;
if (existsSync(backupFile)) {
  step(`restoring the Pi-Key from ${backupFile}`);
  const t0 = performance.now();
  key = await PiKey.restore(new Uint8Array(readFileSync(backupFile)), password);
  console.log(`  restored ${key.getShortId()} (Argon2id 64 MiB + AES-256-GCM, ${ms(t0)})`);
} else {
  step('creating a new Pi-Key');
  key = PiKey.generate();
  console.log(`  ${key.getShortId()}  public key ${Buffer.from(key.publicKey).toString('hex')}`);
  const t0 = performance.now();
  const backup = await key.createEncryptedBackup(password);
  writeFileSync(backupFile, backup);
  console.log(`  encrypted backup (${backup.length} bytes, ${ms(t0)}) written to ${backupFile}`);
  if (!process.env.EDGE_PASSWORD) console.log(`  password: "${password}" (set EDGE_PASSWORD to choose one)`);
}

step('signing a task offer as a signed envelope and checking it');
const guard = createReplayGuard();
const bytes = seal(key, 'edge.task.offer', { task: 'vector_search', k: 10, maxCost: 5 });
const env = await open(bytes, { types: ['edge.task.offer'], guard });
console.log(`  ${bytes.length} bytes, from ${key.getShortId()}, body ${JSON.stringify(env.body)}`);
for (const [what, attempt] of [
  ['the same envelope again', () => open(bytes, { guard })],
  ['a byte changed', () => { const t = bytes.slice(); t[t.length - 70] ^= 1; return open(t, { guard }); }],
]) {
  try {
    await attempt();
    console.log(`  ${what}: ACCEPTED (unexpected)`);
    process.exitCode = 1;
  } catch (error) {
    console.log(`  ${what}: rejected with ${IdentityError.isInstance(error) ? error.code : error}`);
  }
}

step('opening a private session with a second node');
const peer = PiKey.generate();
const { session, hello } = await SessionKey.initiate(key, peer.publicKey, 600);
const peerSession = await SessionKey.accept(peer, hello, { expectFrom: key.publicKey });
const ct = await session.encrypt(new TextEncoder().encode('private payload for a trusted peer'));
console.log(`  ${peer.getShortId()} decrypts: "${new TextDecoder().decode(await peerSession.decrypt(ct))}"`);
try {
  const eve = PiKey.generate();
  await SessionKey.accept(eve, hello);
} catch (error) {
  console.log(`  a third key cannot join: ${error.code}`);
}

step('marking a network origin (φ)');
const genesis = GenesisKey.create(key, 'edge-net-local', 0);
console.log(`  ${genesis.getShortId()} verifies: ${GenesisKey.decode(genesis.encode()).verify()}`);

step('wrong password');
try {
  await PiKey.restore(new Uint8Array(readFileSync(backupFile)), password + '?');
} catch (error) {
  console.log(`  rejected with ${error.code}`);
}
console.log(`\nRun again to restore ${key.getShortId()} from the backup; --fresh starts over.`);
key.destroy();
