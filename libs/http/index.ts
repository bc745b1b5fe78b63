export { installErrorHandling, statusOf } from './errorHandling.js';
export { parse } from './validation.js';
export { installRateLimits, rateLimitPer } from './rateLimits.js';
export { httpPost, HttpRequestFailed, type HttpAnswer, type HttpPostOptions } from './httpPost.js';
export { checkJsonShape, DEFAULT_JSON_SHAPE, jsonShapeIssue, type JsonShapeLimits } from './jsonShape.js';
export { installJsonBodyParser, parseJsonBody } from './jsonBody.js';
