// Default (browser and other non-Node platforms): no native Ed25519; WebCrypto and noble are used.
import type { NativeEd25519 } from './native-types.js';

export const native: NativeEd25519 | null = null;
