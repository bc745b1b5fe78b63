/**
 * The Vonage tutorial's config file (`{"APP": {...}, "FROM": {...}, "USERS": [...]}`) as the
 * tidier lower-case form: keys are lower-cased at the three levels the tutorial uses, so an
 * existing sample.json works as it is. Other values pass through untouched.
 */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lowerKeys(value: unknown): unknown {
  return isObject(value) ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key.toLowerCase(), item])) : value;
}

export function fromTutorialFormat(config: unknown): unknown {
  const top = lowerKeys(config);
  if (!isObject(top)) return top;
  const users = Array.isArray(top.users)
    ? top.users.map((user) => {
        const lowered = lowerKeys(user);
        return isObject(lowered) && Array.isArray(lowered.channels) ? { ...lowered, channels: lowered.channels.map(lowerKeys) } : lowered;
      })
    : top.users;
  return { ...top, app: lowerKeys(top.app), from: lowerKeys(top.from), users };
}
