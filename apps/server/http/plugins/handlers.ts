import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { HandlerRegistry } from '#libs/dispatcher';
import { access } from '../accessControl.js';

/** The handler catalogue: each type with its description and config JSON Schema, from its zod schema. */
export const handlersPlugin: FastifyPluginAsync<{ registry: HandlerRegistry }> = async (app, { registry }) => {
  const catalogue = [...registry.values()].map((handler) => ({
    type: handler.type,
    description: handler.description,
    config_schema: z.toJSONSchema(handler.config, { io: 'input', unrepresentable: 'any' }),
  }));
  app.get('/v1/handlers', { config: { access: access.read } }, async () => ({ handlers: catalogue }));
};
