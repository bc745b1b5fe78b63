import { decodeJwt } from 'jose';
import { Revocation } from '#libs/auth';
import { CliFailure, EXIT } from './exitCodes.js';
import { callServer, type ServerOptions } from './serverClient.js';

export interface TokenRevokeOptions {
  /** A token's id (jti), or the token itself, whose id is read from it. */
  target: string;
  reason: string | undefined;
  server: ServerOptions;
  write: (line: string) => void;
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

function jtiOf(target: string): string {
  if (!JWT_SHAPE.test(target)) return target;
  let jti: unknown;
  try {
    jti = decodeJwt(target).jti;
  } catch {
    throw new CliFailure('that looks like a token but does not decode: pass its jti instead', EXIT.badConfig);
  }
  if (typeof jti !== 'string')
    throw new CliFailure('that token has no jti claim, so it cannot be revoked by id: it stops working when it expires', EXIT.badConfig);
  return jti;
}

/** Takes a token back on the running server, which refuses it from then on (an operator's token is needed). */
export async function revokeToken(options: TokenRevokeOptions): Promise<number> {
  const jti = jtiOf(options.target);
  await callServer(options.server, 'POST', '/v1/tokens/revoked', Revocation, {
    jti,
    ...(options.reason ? { reason: options.reason } : {}),
  });
  options.write(`revoked   ${jti}`);
  return 0;
}
