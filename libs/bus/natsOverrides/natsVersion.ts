import { createRequire } from 'node:module';
import { z } from 'zod';

const PackageJson = z.object({ version: z.string() });

/** The version of nats.js installed, from its package.json (the package exports nothing that says it). */
export function installedNatsVersion(): string {
  return PackageJson.parse(createRequire(import.meta.url)('nats/package.json')).version;
}
