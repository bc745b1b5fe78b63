import { z } from 'zod';

/** An error as every endpoint answers it: `{ error: { code, message, details } }`; read by clients and tests. */
export const ApiErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.looseObject({ issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() }).optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
