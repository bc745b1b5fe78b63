export { logHandler } from './handler.js';
export { LogConfig } from './schema.js';
