#!/usr/bin/env node
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRepo } from '../src/check-deps.js';

const root = resolve(process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../..'));
const problems = checkRepo(root);
if (problems.length > 0) {
  console.error(`dependency check: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log('dependency check: no cycles, no upward imports');
