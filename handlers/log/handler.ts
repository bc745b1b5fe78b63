import { defineHandler } from '#libs/dispatcher';
import { LogConfig } from './schema.js';

export const logHandler = defineHandler({
  type: 'log',
  description: 'Logs the event with pino.',
  config: LogConfig,
  async handle({ event, config, log }) {
    log[config.level]({ event }, config.message);
    return { output: { logged: true } };
  },
});
