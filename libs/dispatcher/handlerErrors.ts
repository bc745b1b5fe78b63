import { SwitchboardError, type ErrorCode } from '#libs/errors';

export interface HandlerErrorOptions {
  /** The code the dead letter and the logs show; `handler_failed` unless told. */
  code?: ErrorCode;
  details?: unknown;
  cause?: unknown;
}

/**
 * Thrown by a handler when trying again cannot help (a config that is wrong once rendered, a
 * recipient the provider refuses): the step fails at once and the event is dead-lettered for its
 * route, whatever attempts are left.
 */
export class NonRetriableError extends SwitchboardError {
  constructor(message: string, { code = 'handler_failed', details, cause }: HandlerErrorOptions = {}) {
    super(code, message, details, { cause });
  }

  /** The same error (code, message, details), as one not to retry. */
  static from(err: SwitchboardError): NonRetriableError {
    return new NonRetriableError(err.message, { code: err.code, details: err.details, cause: err });
  }
}

/**
 * Thrown by a handler that knows when trying again can help (a rate limit's reset, a system back
 * at a known time): the step is tried again no sooner than that, within the same
 * SWITCHBOARD_MAX_ATTEMPTS.
 */
export class RetryAfterError extends SwitchboardError {
  /** From when the error was made. */
  readonly retryAfterMs: number;

  constructor(message: string, retryAfter: number | Date, { code = 'handler_failed', details, cause }: HandlerErrorOptions = {}) {
    super(code, message, details, { cause });
    this.retryAfterMs = Math.max(0, retryAfter instanceof Date ? retryAfter.getTime() - Date.now() : retryAfter);
  }
}
