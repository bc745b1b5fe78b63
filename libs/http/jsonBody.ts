import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SwitchboardError, validationFailed } from '#libs/errors';
import { parseShapedJson, type JsonShapeLimits } from '#libs/jsonShape';

const BYTE_ORDER_MARK = 0xfeff;

/**
 * A JSON request body, parsed and checked for its shape (depth, entries, prototype keys) before
 * any route, schema or recursive function sees it.
 */
export function parseJsonBody(text: string, limits: JsonShapeLimits): unknown {
  const source = text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
  if (source.trim() === '') throw new SwitchboardError('invalid_json', 'the body is empty: send a JSON object');
  const parsed = parseShapedJson(source, limits);
  if (parsed.ok) return parsed.value;
  if (parsed.problem === 'syntax') throw new SwitchboardError('invalid_json', `the body is not valid JSON: ${parsed.message}`);
  throw validationFailed([parsed.issue]);
}

/** Replaces fastify's JSON parser with ours for the whole app (a plugin may replace it again, keeping the check). */
export function installJsonBodyParser(app: FastifyInstance, limits: JsonShapeLimits): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (_request: FastifyRequest, body: string) =>
    parseJsonBody(body, limits),
  );
}
