import { z } from 'zod';

export const LogConfig = z.object({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('pino level to log the event at'),
  message: z.string().max(500).default('event received').describe('the log line; a template over the event and earlier outputs'),
});

export type LogConfig = z.infer<typeof LogConfig>;
