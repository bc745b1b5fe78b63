import type { Handler, HandlerRegistry } from '#libs/dispatcher';
import { broadcastHandler } from '#handlers/broadcast';
import { createContactHandler } from '#handlers/create_contact';
import { emitEventHandler } from '#handlers/emit_event';
import { escalateUsersHandler } from '#handlers/escalate_users';
import { logHandler } from '#handlers/log';
import { sendMessageHandler } from '#handlers/send_message';

export interface HandlerOptions {
  /** The most repeats an escalation may ask for (SWITCHBOARD_MAX_REPEAT). */
  maxRepeat: number;
}

export const DEFAULT_HANDLER_OPTIONS: HandlerOptions = { maxRepeat: 10 };

/** Every handler type a route can use. Only handlers that really act are listed here. */
export function handlerRegistry(options: HandlerOptions = DEFAULT_HANDLER_OPTIONS): HandlerRegistry {
  const handlers: Handler[] = [
    logHandler,
    createContactHandler,
    sendMessageHandler,
    emitEventHandler,
    escalateUsersHandler(options),
    broadcastHandler,
  ];
  return new Map(handlers.map((handler) => [handler.type, handler]));
}
