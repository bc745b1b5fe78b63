import { defineHandler, NonRetriableError, stepsView, type StepContext } from '#libs/dispatcher';
import { errorMessage } from '#libs/errors';
import { stableId, Token } from '#libs/events';
import { isRefusedSend } from '#libs/messaging';
import type { BroadcastFailure, Contact } from '#libs/store';
import { renderString, type TemplateContext } from '#libs/templates';
import { BroadcastConfig } from './schema.js';

type Context = StepContext<BroadcastConfig>;
type Outcome = { sent: true } | { failure: BroadcastFailure } | { retry: unknown };

/** A broadcast's id: a redelivered event finds the same progress record. */
export function broadcastId(stepKey: string): string {
  return `bc-${stableId('broadcast', stepKey).slice(0, 24)}`;
}

function contactIds(ctx: Context): string[] {
  const { contacts } = ctx.config;
  const ids =
    typeof contacts === 'string' ? renderString(contacts, { event: ctx.event, steps: stepsView(ctx.route, ctx.steps) }) : contacts;
  const list = Token.array().safeParse(ids);
  if (!list.success)
    throw new NonRetriableError(`contacts: ${JSON.stringify(contacts)} did not give a list of contact ids`, { code: 'validation_failed' });
  return [...new Set(list.data)];
}

/**
 * The text as the route wrote it. The runner has rendered the config once already, event data
 * included; rendering that again per contact would render placeholders a caller put in the event
 * data. So the route's own template is rendered once, per contact, with everything.
 */
function textTemplate(ctx: Context): string {
  const raw = ctx.route.steps[ctx.stepIndex]?.config.text;
  return typeof raw === 'string' ? raw : ctx.config.text;
}

async function sendTo(ctx: Context, contactId: string, template: string, base: TemplateContext): Promise<Outcome> {
  const { event, config, services, stepKey } = ctx;
  const failed = (reason: string): Outcome => ({ failure: { contact_id: contactId, reason } });
  const contact: Contact | undefined = await services.stores.contacts.get(event.account_key, contactId);
  if (!contact) return failed('no such contact');
  const channel = config.channel ? contact.channels.find((one) => one.type === config.channel) : contact.channels[0];
  if (!channel) return failed(config.channel ? `the contact has no ${config.channel} channel` : 'the contact has no channel');
  const rendered = renderString(template, {
    ...base,
    contact: { id: contact.id, name: contact.name ?? '', variables: contact.variables, channel: channel.type },
  });
  const text = typeof rendered === 'string' ? rendered : JSON.stringify(rendered ?? '');
  if (text.trim() === '') return failed('the text rendered empty');
  try {
    await services.messenger.send({
      account: event.account_key,
      channel: channel.type,
      to: channel.id_num,
      text,
      from: config.from,
      ref: `broadcast:${stepKey}:${contact.id}`,
    });
    return { sent: true };
  } catch (err) {
    // A refusal that cannot heal fails this contact; anything else fails the step, to be retried.
    return isRefusedSend(err) ? failed(errorMessage(err)) : { retry: err };
  }
}

export const broadcastHandler = defineHandler({
  type: 'broadcast',
  description:
    "Sends a templated message to every targeted contact (default: a launch hook's audience) on its first or a named channel, in batches; idempotent per contact. Output: the broadcast id (GET /v1/accounts/:account/broadcasts/:id for progress), total, sent, failed.",
  config: BroadcastConfig,
  async handle(ctx) {
    const { event, config, route, stepIndex, stepKey, attempt, services, log } = ctx;
    const { broadcasts } = services.stores;
    const account = event.account_key;
    const ids = contactIds(ctx);
    const id = broadcastId(stepKey);
    const output = (record: { total: number; sent: number; failed: number }) => ({
      broadcast_id: id,
      total: record.total,
      sent: record.sent,
      failed: record.failed,
    });

    const started = await broadcasts.start({
      id,
      account_key: account,
      event_id: event.event_id,
      route_id: route.id,
      step: stepIndex,
      total: ids.length,
      run: attempt,
    });
    if (started.status === 'done') return { output: output(started) };

    const template = textTemplate(ctx);
    const base = { event, steps: stepsView(ctx.route, ctx.steps) };
    for (let start = 0; start < ids.length; start += config.batch_size) {
      const outcomes = await Promise.all(
        ids.slice(start, start + config.batch_size).map((contactId) => sendTo(ctx, contactId, template, base)),
      );
      const failures = outcomes.flatMap((outcome) => ('failure' in outcome ? [outcome.failure] : []));
      await broadcasts.recordBatch(account, id, attempt, { sent: outcomes.filter((outcome) => 'sent' in outcome).length, failures });
      const retry = outcomes.find((outcome) => 'retry' in outcome);
      if (retry && 'retry' in retry) throw retry.retry;
    }
    const finished = (await broadcasts.finish(account, id, attempt)) ?? (await broadcasts.get(account, id))!;
    log.info({ broadcast_id: id, total: finished.total, sent: finished.sent, failed: finished.failed }, 'broadcast done');
    return { output: output(finished) };
  },
});
