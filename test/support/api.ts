import { z } from 'zod';
import { ApiErrorBody } from '#libs/http';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small JSON client for the HTTP API under test; `token` goes in every request's Authorization. */
export function apiClient(baseUrl: string, token?: string) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const init: RequestInit = { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
  return {
    call,
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    put: (path: string, body?: unknown) => call('PUT', path, body),
    delete: (path: string) => call('DELETE', path),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/**
 * An answer's body parsed with the schema of what its endpoint answers (apps/server/http/answers.ts):
 * typed for the test, and a body that drifts from its model fails here, with zod's account of why.
 */
export function bodyOf<S extends z.ZodType>(res: ApiResponse, schema: S): z.infer<S> {
  const parsed = schema.safeParse(res.body);
  if (parsed.success) return parsed.data;
  const error = ApiErrorBody.safeParse(res.body);
  if (error.success && schema !== (ApiErrorBody as z.ZodType))
    throw new Error(`HTTP ${res.status} ${error.data.error.code}: ${error.data.error.message}`);
  throw new Error(
    `HTTP ${res.status}: not the body expected:\n${z.prettifyError(parsed.error)}\nbody: ${JSON.stringify(res.body)?.slice(0, 1000)}`,
  );
}

/** The error an endpoint answered: `{ code, message, details }`. */
export function errorOf(res: ApiResponse): ApiErrorBody['error'] {
  return bodyOf(res, ApiErrorBody).error;
}

/** The fields a `validation_failed` answer names, each with why. */
export function issuesOf(res: ApiResponse): Array<{ path: string; message: string }> {
  return errorOf(res).details?.issues ?? [];
}
