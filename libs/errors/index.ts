import type { ZodError } from 'zod';

/** What went wrong, as a stable machine-readable code; the HTTP layer maps each to a status. */
export type ErrorCode =
  | 'invalid_json'
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'storage_full'
  | 'provider_rejected'
  | 'provider_unavailable'
  | 'provider_outcome_unknown'
  | 'provider_auth_failed'
  | 'handler_failed'
  | 'unavailable'
  | 'internal';

export interface FieldIssue {
  path: string;
  message: string;
}

/** An error as a value: a code, a message a person can act on, and optional structured details. */
export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isSwitchboardError(err: unknown, code?: ErrorCode): err is SwitchboardError {
  return err instanceof SwitchboardError && (code === undefined || err.code === code);
}

/** Dotted path of a zod issue, with an optional prefix: `steps.0.config.text`. */
export function issuePath(path: ReadonlyArray<PropertyKey>, prefix?: string): string {
  const parts = [...(prefix ? [prefix] : []), ...path.map(String)];
  return parts.join('.') || '(root)';
}

/** A `validation_failed` error whose message names the first bad field; details list them all. */
export function validationFailed(issues: FieldIssue[]): SwitchboardError {
  const first = issues[0];
  const message = first ? `${first.path}: ${first.message}` : 'invalid input';
  return new SwitchboardError('validation_failed', message, { issues });
}

/** The issues of a zod failure (or some of them), with paths under an optional prefix. */
export function zodIssues(err: Pick<ZodError, 'issues'>, prefix?: string): FieldIssue[] {
  return err.issues.map((issue) => ({
    path: issuePath(issue.path, prefix),
    // zod says "expected string, received undefined" for a missing field; people say "required".
    message: issue.code === 'invalid_type' && issue.message.endsWith('received undefined') ? `required (${issue.expected})` : issue.message,
  }));
}

export function validationError(err: ZodError, prefix?: string): SwitchboardError {
  return validationFailed(zodIssues(err, prefix));
}

/** The message of anything thrown, for logs and dead letters. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
