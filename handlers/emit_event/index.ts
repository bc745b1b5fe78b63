export { emitEventHandler } from './handler.js';
export { EmitEventConfig } from './schema.js';
