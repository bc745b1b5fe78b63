export { MASK, maskSecrets, restoreMasked } from './masking.js';
