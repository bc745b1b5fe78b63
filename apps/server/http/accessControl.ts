import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { coversAccount, grants, type Claims, type Scope, type TokenVerifier } from '#libs/auth';
import { SwitchboardError } from '#libs/errors';

/**
 * Who may call a route, declared by the route itself:
 * - `token`: a bearer token of at least `scope`, and (on account paths) for that account;
 *   `operator` further asks for a token of every account (`accounts: "*"`);
 * - `credential`: the route checks a credential of its own (a signature, a secret in the URL),
 *   named in `by` for the route catalogue;
 * - `public`: nothing to check (health probes), with the reason.
 */
export type Access =
  { kind: 'token'; scope: Scope; operator?: boolean } | { kind: 'credential'; by: string } | { kind: 'public'; why: string };

export const access = {
  read: { kind: 'token', scope: 'read' },
  write: { kind: 'token', scope: 'write' },
  operator: { kind: 'token', scope: 'admin', operator: true },
  credential: (by: string): Access => ({ kind: 'credential', by }),
  public: (why: string): Access => ({ kind: 'public', why }),
} as const satisfies Record<string, Access | ((reason: string) => Access)>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    claims?: Claims;
  }
}

/** One registered route and who may call it: what the security tests walk. */
export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

const BEARER = /^Bearer\s+(\S+)$/i;

async function checkToken(request: FastifyRequest, required: Extract<Access, { kind: 'token' }>, verify: TokenVerifier): Promise<void> {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  if (!token)
    throw new SwitchboardError('unauthorized', 'send a token: Authorization: Bearer <token> (`switchboard token create` mints one)');
  const claims = await verify(token);
  const account = (request.params as { account?: string } | undefined)?.account;
  // A token for other accounts gets the 404 of anything missing: an account's existence is not revealed.
  if (account !== undefined && !coversAccount(claims, account)) {
    throw new SwitchboardError('not_found', `no endpoint ${request.method} ${request.url.split('?')[0]}`);
  }
  if (!grants(claims, required.scope) || (required.operator && claims.accounts !== '*')) {
    const needs = required.operator ? "an operator's token (every account, admin scope)" : `scope ${required.scope}`;
    throw new SwitchboardError(
      'forbidden',
      `this token's scope is ${claims.scope} on ${claims.accounts === '*' ? 'every account' : 'its accounts'}: this needs ${needs}`,
    );
  }
  request.claims = claims;
}

/**
 * Access is decided on the route that matched, never on the URL's text: a percent-encoded or
 * absolute-form target reaches the same route, and so the same check. A route that does not
 * declare its access stops the server at start, so nothing is open by omission.
 */
export function installAccessControl(app: FastifyInstance, verify: TokenVerifier): readonly RouteAccess[] {
  const catalogue: RouteAccess[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const declared = route.config?.access;
    if (!declared) throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.access): every route must`);
    for (const method of [route.method].flat()) catalogue.push({ method, url: route.url, access: declared });
  });
  app.addHook('onRequest', async (request) => {
    // No route matched: the not-found handler answers, with nothing to protect.
    if (request.is404) return;
    const declared = request.routeOptions.config.access;
    if (!declared) throw new SwitchboardError('internal', 'this route declares no access');
    if (declared.kind === 'token') await checkToken(request, declared, verify);
  });
  return catalogue;
}

/** An absolute-form request target (`http://host/v1/...`) routed as its path, as RFC 9112 asks of servers. */
export function originFormUrl(url: string): string {
  if (url.startsWith('/')) return url;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  if (!absolute) return url;
  const rest = url.slice(absolute[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
