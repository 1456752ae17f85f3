#!/usr/bin/env node
// `pnpm start` (root) builds the workspace, then runs this: the hub, its workers and the dashboard.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
