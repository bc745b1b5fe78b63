import { defineHandler } from '#libs/dispatcher';
import { EmitEventConfig, KnownEmitEvent } from './schema.js';

export const emitEventHandler = defineHandler({
  type: 'emit_event',
  description: 'Emits a new event (same account, with cause set) for other routes to act on. Output: its type.',
  config: EmitEventConfig,
  async handle({ config }) {
    return { output: { event_type: config.event_type }, emit: [config] };
  },
  emissions(config) {
    const known = KnownEmitEvent.safeParse(config);
    return known.success ? [known.data] : [];
  },
});
