import type { Handler, HandlerRegistry } from '../libs/dispatcher/index.js';
import { broadcastHandler } from './broadcast/index.js';
import { createContactHandler } from './create_contact/index.js';
import { emitEventHandler } from './emit_event/index.js';
import { escalateUsersHandler } from './escalate_users/index.js';
import { logHandler } from './log/index.js';
import { sendMessageHandler } from './send_message/index.js';

export interface HandlerOptions {
  /** The most repeats an escalation may ask for (SWITCHBOARD_MAX_REPEAT). */
  maxRepeat: number;
}

export const DEFAULT_HANDLER_OPTIONS: HandlerOptions = { maxRepeat: 10 };

/** Every handler type a route can use. Only handlers that really act are listed here. */
export function handlerRegistry(options: HandlerOptions = DEFAULT_HANDLER_OPTIONS): HandlerRegistry {
  const handlers: Handler[] = [logHandler, createContactHandler, sendMessageHandler, emitEventHandler, escalateUsersHandler(options), broadcastHandler];
  return new Map(handlers.map((handler) => [handler.type, handler]));
}
