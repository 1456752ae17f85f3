import { defineTestConfig } from '@edge/tooling/vitest';

export default defineTestConfig();
