import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { coversAccount, type Claims } from '#libs/auth';
import { SwitchboardError, validationFailed } from '#libs/errors';
import { Token } from '#libs/events';
import { parse } from '#libs/http';
import { AccountLimitsOverride, isQuota, type LimitsTable, type Quotas } from '#libs/limits';
import { accountLimitList, type ListedLimit } from '../limitsCatalogue.js';
import { AccountParams } from '../params.js';
import { access } from '../accessControl.js';

export interface LimitsOptions {
  table: LimitsTable;
  quotas: Quotas;
  /** The limits with one value for every caller (`serverLimitList`). */
  serverLimits: readonly ListedLimit[];
}

const LimitsQuery = z.object({ account: Token.optional() });

/** The account whose limits a caller asked for: the one named, the token's only one, or none (an operator's defaults). */
function accountAsked(claims: Claims, named: string | undefined): string | undefined {
  if (named !== undefined) {
    // As on account paths: another account's limits are a 404, not a sign the account exists.
    if (!coversAccount(claims, named)) throw new SwitchboardError('not_found', `no account ${named}`);
    return named;
  }
  if (claims.accounts === '*') return undefined;
  if (claims.accounts.length > 1)
    throw validationFailed([{ path: 'account', message: 'required: this token is for several accounts, name one' }]);
  return claims.accounts[0];
}

/**
 * Limits published: every limit a caller meets, with its value, default and setting, in one list
 * (`GET /v1/limits`), and an operator's overrides of one account's limits.
 */
export const limitsPlugin: FastifyPluginAsync<LimitsOptions> = async (app, { table, quotas, serverLimits }) => {
  app.get('/v1/limits', { config: { access: access.read } }, async (request) => {
    const account = accountAsked(request.claims!, parse(LimitsQuery, request.query).account);
    if (account === undefined) return { account: null, limits: [...accountLimitList(table.defaults), ...serverLimits] };
    const used = await quotas.used(account);
    // A quota shows what the account holds against it, as its next call is checked.
    const perAccount = accountLimitList(table.for(account)).map((limit) =>
      isQuota(limit.name) ? { ...limit, used: used[limit.name] } : limit,
    );
    return { account, limits: [...perAccount, ...serverLimits] };
  });

  app.get('/v1/accounts/:account/limits', { config: { access: access.operator } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    return { account, limits: table.for(account), overrides: table.overrides(account) };
  });

  app.put('/v1/accounts/:account/limits', { config: { access: access.operator } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    const overrides = parse(AccountLimitsOverride, request.body);
    const limits = await table.set(account, overrides);
    request.log.info({ account_key: account, overrides, set_by: request.claims!.sub }, 'account limits set');
    return { account, limits, overrides };
  });
};
