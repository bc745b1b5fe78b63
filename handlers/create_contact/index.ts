export { createContactHandler } from './handler.js';
export { CreateContactConfig } from './schema.js';
