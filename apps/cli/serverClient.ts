import type { z } from 'zod';
import { ApiErrorBody } from '#libs/http';
import { CliFailure, EXIT } from './exitCodes.js';

export interface ServerOptions {
  url: string;
  token: string | undefined;
}

/** The few calls the CLI makes to a running server: the answer parsed with `schema`, its errors as CLI failures. */
export async function callServer<S extends z.ZodType>(
  server: ServerOptions,
  method: string,
  path: string,
  schema: S,
  body?: unknown,
): Promise<z.infer<S>> {
  let response: Response;
  try {
    response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(server.token ? { authorization: `Bearer ${server.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliFailure(
      `cannot reach the Switchboard server at ${server.url} (${(err as Error).message}): start it with \`npm start\` or pass --server`,
      EXIT.unavailable,
    );
  }
  const payload: unknown = await response.json().catch(() => ({}));
  if (response.ok) {
    const answer = schema.safeParse(payload);
    if (answer.success) return answer.data;
    throw new CliFailure(
      `the server at ${server.url} answered ${method} ${path} with an unexpected body: is it another version?`,
      EXIT.unavailable,
    );
  }
  const error = ApiErrorBody.safeParse(payload);
  const message = error.success ? error.data.error.message : `HTTP ${response.status}`;
  const issues = (error.success && error.data.error.details?.issues) || [];
  const details = issues.length > 1 ? `\n${issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n')}` : '';
  throw new CliFailure(`${message}${details}`, response.status === 400 ? EXIT.badConfig : EXIT.unavailable);
}
