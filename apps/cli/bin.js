#!/usr/bin/env node
// The `switchboard` command: runs the TypeScript entry through tsx, as `npm run cli` does.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
