import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

export default defineConfig(defineLibrary());
