export { installErrorHandling, statusOf } from './errorHandling.js';
export { parse } from './validation.js';
export { installRateLimits, rateLimitPer } from './rateLimits.js';
export { httpPost, HttpRequestFailed, type HttpAnswer, type HttpPostOptions } from './httpPost.js';
export { installJsonBodyParser, parseJsonBody } from './jsonBody.js';
export { ApiErrorBody } from './errorBody.js';
