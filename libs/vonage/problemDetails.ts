import { z } from 'zod';

/** Vonage's error body (RFC 7807), with the per-parameter reasons it adds to a 422. */
export const ProblemDetails = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  invalid_parameters: z.array(z.looseObject({ name: z.string(), reason: z.string() })).optional(),
});
export type ProblemDetails = z.infer<typeof ProblemDetails>;
