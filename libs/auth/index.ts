export { Claims, coversAccount, grants, Scope, SCOPES } from './claims.js';
export { Revocation, RevokedTokens } from './revocations.js';
export { loadOrCreateServerSecret, readServerSecret, serverSecretFile } from './serverSecret.js';
export {
  mintToken,
  tokenVerifier,
  type MintedToken,
  type MintRequest,
  type TokenBinding,
  type TokenVerifier,
  type VerificationKeys,
  type VerifierOptions,
} from './tokens.js';
