import path from 'node:path';
import { z } from 'zod';
import { validationError } from '#libs/errors';
import { DEFAULT_POLL_FILE } from './pollDefinition.js';

/** The poll app's own settings; the shared ones (NATS_URL, HOST, LOG_LEVEL, ...) come from libs/config. */
const PollEnv = z.object({
  POLL_PORT: z.coerce.number().int().min(0).max(65535).default(3200),
  POLL_FILE: z.string().min(1).default(DEFAULT_POLL_FILE),
});

export interface PollSettings {
  port: number;
  /** The poll definition (JSON), absolute. */
  file: string;
}

export function loadPollSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PollSettings {
  const parsed = PollEnv.safeParse(env);
  if (!parsed.success) throw validationError(parsed.error);
  return { port: parsed.data.POLL_PORT, file: path.resolve(cwd, parsed.data.POLL_FILE) };
}
