import type { Handler, HandlerRegistry } from '../libs/dispatcher/index.js';
import { createContactHandler } from './create_contact/index.js';
import { emitEventHandler } from './emit_event/index.js';
import { logHandler } from './log/index.js';
import { sendMessageHandler } from './send_message/index.js';

/** Every handler type a route can use. Only handlers that really act are listed here. */
export const HANDLERS: readonly Handler[] = [logHandler, createContactHandler, sendMessageHandler, emitEventHandler];

export function handlerRegistry(handlers: readonly Handler[] = HANDLERS): HandlerRegistry {
  return new Map(handlers.map((handler) => [handler.type, handler]));
}
