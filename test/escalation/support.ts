import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Subscription } from 'nats';
import type { Bus } from '../../libs/bus/index.js';
import { VumiApiEvent } from '../../libs/events/index.js';

/** The Vonage tutorial's sample.json, verbatim (placeholders included). */
export function tutorialSample(): any {
  return JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/tutorial-sample.json'), 'utf8'));
}

/** Addresses for the sample's users, one per channel so each can have its own scenario. */
export function addresses(prefix: string) {
  const digits = (n: number) => `44770${prefix}${String(n).padStart(2, '0')}`;
  return {
    tonyMessenger: `tony-${prefix}`,
    tonySms: digits(1),
    michaelViber: digits(2),
    michaelWhatsapp: digits(3),
    michaelSms: digits(4),
  };
}

/** The tutorial's sample with real-looking addresses and senders in place of its placeholders. */
export function sampleWith(a: ReturnType<typeof addresses>, extra: Record<string, unknown> = {}): any {
  const sample = tutorialSample();
  sample.FROM = { MESSENGER: 'company-page', VIBER: 'company-viber', WHATSAPP: '447700900000', SMS: 'Company' };
  const [tony, michael] = sample.USERS;
  tony.channels[0].id_num = a.tonyMessenger;
  tony.channels[1].id_num = a.tonySms;
  michael.channels[0].id_num = a.michaelViber;
  michael.channels[1].id_num = a.michaelWhatsapp;
  michael.channels[2].id_num = a.michaelSms;
  return { ...sample, ...extra };
}

/** Every event published under an account, as it happens (a plain subscription, as a bus subscriber would). */
export function watchEvents(bus: Bus, account: string): { events: VumiApiEvent[]; ofType(type: string): VumiApiEvent[]; stop(): void } {
  const events: VumiApiEvent[] = [];
  const sub: Subscription = bus.nc.subscribe(`events.${account}.>`, {
    callback: (_err, msg) => {
      const parsed = VumiApiEvent.safeParse(JSON.parse(new TextDecoder().decode(msg.data)));
      if (parsed.success) events.push(parsed.data);
    },
  });
  return { events, ofType: (type) => events.filter((event) => event.event_type === type), stop: () => sub.unsubscribe() };
}
