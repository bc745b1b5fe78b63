import { z } from 'zod';
import { Token } from '#libs/events';

export const AccountParams = z.object({ account: Token });
export const AccountItemParams = z.object({ account: Token, id: Token });
export const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
