export { MASK, maskSecrets, restoreMasked } from './masking.js';
export { isSecretKey } from './secretKeys.js';
