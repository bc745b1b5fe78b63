import { z } from 'zod';
import { validationError } from '../../../libs/errors/index.js';
import { Token } from '../../../libs/events/index.js';

/** Parses request input with a schema; a failure is a 400 naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

export const AccountParams = z.object({ account: Token });
export const AccountItemParams = z.object({ account: Token, id: Token });
export const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
