import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '#libs/errors';
import { parseJsonBody } from './jsonBody.js';

const limits = { maxDepth: 4, maxEntries: 3 };
const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

describe('a JSON body', () => {
  const failure = (text: string) => {
    try {
      parseJsonBody(text, limits);
    } catch (err) {
      return isSwitchboardError(err) ? err.toJSON() : err;
    }
    return undefined;
  };

  it('is parsed after an optional byte order mark', () => {
    expect(parseJsonBody('\uFEFF{"a":1}', limits)).toEqual({ a: 1 });
  });

  it('is refused when empty, broken, or past the shape limits, naming the place', () => {
    expect(failure('  ')).toMatchObject({ code: 'invalid_json' });
    expect(failure('{"a":')).toMatchObject({ code: 'invalid_json' });
    expect(failure(nested(100_000))).toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/^a\.a\.a\.a: nested more than 4 levels/),
    });
  });
});
