import type { FastifyPluginAsync } from 'fastify';
import { SwitchboardError, validationFailed } from '#libs/errors';
import {
  hostAllowed,
  HookInput,
  HookPatch,
  HookRepository,
  launchPath,
  newHook,
  newHookToken,
  patchedHook,
  TOKEN_SHAPE,
  type Hook,
  type HookLauncher,
  type LaunchState,
} from '#libs/hooks';
import { parse, rateLimitPer } from '#libs/http';
import { checkJsonShape, type JsonShapeLimits } from '#libs/jsonShape';
import type { Quotas } from '#libs/limits';
import type { Logger } from '#libs/logger';
import { AccountItemParams, AccountParams } from '../params.js';
import { access } from '../accessControl.js';

export interface HooksOptions {
  hooks: HookRepository;
  launcher: HookLauncher;
  /** The base of launch URLs: PUBLIC_URL, or the API's own address (never the request's Host header). */
  publicUrl: () => string;
  /** Calls a second each hook may take (SWITCHBOARD_RATE_HOOK_LAUNCHES_PER_S). */
  perSecond: number;
  /** A GET's query is a payload too: the same shape check as a POST's body. */
  jsonShape: JsonShapeLimits;
  /** A hook of an account at any of its quotas launches nothing new. */
  quotas: Pick<Quotas, 'admit'>;
  log: Logger;
}

/** How long a write waits for the in-memory directory to have it. */
const CATCH_UP_MS = 2000;

/** Every method, so that a method a hook does not allow gets a 405 rather than a 404. */
const CALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** A hook as the API shows it: never its token (only a hash of it is stored), with its pending and last launch. */
function view(hook: Hook, state?: LaunchState) {
  const { token_index: _tokenIndex, ...shown } = hook;
  const pending = state?.pending;
  return {
    ...shown,
    launch: {
      pending: pending
        ? {
            launch_at: pending.launch_at,
            calls: pending.calls,
            first_called_at: pending.first_called_at,
            last_called_at: pending.last_called_at,
            mode: pending.request.targeting.mode,
          }
        : null,
      last: state?.last_launch ?? null,
    },
  };
}

function launchUrls(publicUrl: () => string, token: string) {
  const path = launchPath(token);
  return { token, launch_path: path, launch_url: `${publicUrl().replace(/\/$/, '')}${path}` };
}

export const hooksPlugin: FastifyPluginAsync<HooksOptions> = async (
  app,
  { hooks, launcher, publicUrl, perSecond, jsonShape, quotas, log },
) => {
  // Calls find their hook in memory; writes made here wait until the directory has them, so a
  // hook disabled, deleted or given a new token answers accordingly to the very next call.
  const directory = await hooks.live(log);
  app.addHook('onClose', async () => directory.stop());

  const found = async (account: string, id: string): Promise<Hook> => {
    const hook = await hooks.get(account, id);
    if (!hook) throw new SwitchboardError('not_found', `no hook "${id}" in account ${account}`);
    return hook;
  };

  app.post('/v1/accounts/:account/hooks', { config: { access: access.write } }, async (request, reply) => {
    const { account } = parse(AccountParams, request.params);
    const { hook, token } = newHook(account, parse(HookInput, request.body));
    await directory.caughtUp((await hooks.create(hook)).revision, CATCH_UP_MS);
    request.log.info({ account_key: account, hook_id: hook.id }, 'hook created');
    return reply.status(201).send({ ...view(hook), ...launchUrls(publicUrl, token) });
  });

  app.get('/v1/accounts/:account/hooks', { config: { access: access.read } }, async (request) => {
    const { account } = parse(AccountParams, request.params);
    const all = (await hooks.list(account)).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    return { hooks: await Promise.all(all.map(async (hook) => view(hook, await hooks.launchState(account, hook.id)))) };
  });

  app.get('/v1/accounts/:account/hooks/:id', { config: { access: access.read } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    return view(await found(account, id), await hooks.launchState(account, id));
  });

  app.patch('/v1/accounts/:account/hooks/:id', { config: { access: access.write } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const patch = parse(HookPatch, request.body);
    let refused: { path: string; message: string } | undefined;
    const saved = await hooks.update(account, id, (current) => {
      const next = patchedHook(current, patch);
      if ('error' in next) {
        refused = next.error;
        return current;
      }
      return next.hook;
    });
    if (refused) throw validationFailed([refused]);
    if (!saved) throw new SwitchboardError('not_found', `no hook "${id}" in account ${account}`);
    await directory.caughtUp(saved.revision, CATCH_UP_MS);
    request.log.info({ account_key: account, hook_id: id, fields: Object.keys(patch) }, 'hook updated');
    return view(saved.value, await hooks.launchState(account, id));
  });

  app.delete('/v1/accounts/:account/hooks/:id', { config: { access: access.write } }, async (request, reply) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const revision = await hooks.delete(account, id);
    if (revision === undefined) throw new SwitchboardError('not_found', `no hook "${id}" in account ${account}`);
    await directory.caughtUp(revision, CATCH_UP_MS);
    request.log.info({ account_key: account, hook_id: id }, 'hook deleted');
    return reply.status(204).send();
  });

  /** A new token for the hook; the old one stops working at once. */
  app.post('/v1/accounts/:account/hooks/:id/token', { config: { access: access.write } }, async (request) => {
    const { account, id } = parse(AccountItemParams, request.params);
    const token = newHookToken();
    const saved = await hooks.replaceToken(account, id, HookRepository.tokenIndex(token));
    if (!saved) throw new SwitchboardError('not_found', `no hook "${id}" in account ${account}`);
    await directory.caughtUp(saved.revision, CATCH_UP_MS);
    request.log.info({ account_key: account, hook_id: id }, 'hook token replaced');
    return launchUrls(publicUrl, token);
  });

  // The launch URL: the token is the credential, so no API token; the caller is checked by its
  // socket address (no proxy headers are trusted).
  app.route({
    method: [...CALL_METHODS],
    url: '/hooks/:token',
    exposeHeadRoute: false,
    config: {
      ...rateLimitPer(perSecond, (request) => `hook:${(request.params as { token?: string }).token}`),
      access: access.credential('the hook token in the URL'),
    },
    handler: async (request, reply) => {
      const { token } = request.params as { token: string };
      // A hook created through another process a moment ago may not be in the directory yet.
      const hook = TOKEN_SHAPE.test(token)
        ? (directory.byIndex(HookRepository.tokenIndex(token)) ?? (await hooks.byToken(token)))
        : undefined;
      if (!hook?.enabled) throw new SwitchboardError('not_found', 'no enabled hook has this launch URL');
      const caller = request.socket.remoteAddress;
      if (!hostAllowed(hook.allowed_hosts, caller))
        throw new SwitchboardError('forbidden', `this hook cannot be called from ${caller ?? 'an unknown address'}`);
      const allowed = [...(hook.allow_get ? ['GET'] : []), ...(hook.allow_post ? ['POST'] : [])];
      if (!allowed.includes(request.method)) {
        reply.header('allow', allowed.join(', '));
        throw new SwitchboardError('method_not_allowed', `this hook cannot be called with ${request.method}: use ${allowed.join(' or ')}`);
      }
      const method = request.method as 'GET' | 'POST';
      if (method === 'GET') checkJsonShape(request.query, jsonShape);
      await quotas.admit(hook.account_key);
      const scheduled = await launcher.call(hook, method, method === 'GET' ? request.query : request.body);
      request.log.debug({ account_key: hook.account_key, hook_id: hook.id, method }, 'hook called');
      return { scheduled: true, launch_at: scheduled.launch_at };
    },
  });
};
