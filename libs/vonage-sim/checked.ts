import type { z } from 'zod';
import { validationError } from '#libs/errors';

/** A value from code (tests, options) through its schema: a bad one is a `validation_failed` naming the field. */
export function checked<S extends z.ZodType>(schema: S, value: unknown, field: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, field);
  return parsed.data;
}
