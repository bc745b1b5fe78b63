import { CliFailure, EXIT } from './exitCodes.js';

export interface ServerOptions {
  url: string;
  token: string | undefined;
}

/** The few calls the CLI makes to a running server, with its errors as CLI failures. */
export async function callServer<T>(server: ServerOptions, method: string, path: string, body?: unknown): Promise<T> {
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
    throw new CliFailure(`cannot reach the Switchboard server at ${server.url} (${(err as Error).message}): start it with \`npm start\` or pass --server`, EXIT.unavailable);
  }
  const payload = (await response.json().catch(() => ({}))) as any;
  if (response.ok) return payload as T;
  const message = payload?.error?.message ?? `HTTP ${response.status}`;
  const issues: Array<{ path: string; message: string }> = payload?.error?.details?.issues ?? [];
  const details = issues.length > 1 ? `\n${issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n')}` : '';
  throw new CliFailure(`${message}${details}`, response.status === 400 ? EXIT.badConfig : EXIT.unavailable);
}
