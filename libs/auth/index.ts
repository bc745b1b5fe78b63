export { allows, Claims, coversAccount, Scope, SCOPES } from './claims.js';
export { loadOrCreateServerSecret, readServerSecret, serverSecretFile } from './serverSecret.js';
export { mintToken, tokenVerifier, type MintRequest, type TokenVerifier, type VerificationKeys } from './tokens.js';
