import { z } from 'zod';
import { validationError } from '#libs/errors';
import type { PollDefinition, PollQuestion } from './pollDefinition.js';

/**
 * A phone number in international format, kept as digits only: the form Vonage expects as an
 * SMS address and a safe KV key token. Spaces, dashes, brackets and a leading "+" are dropped.
 */
const Msisdn = z
  .string()
  .transform((value) => value.replace(/[\s().-]/g, '').replace(/^\+/, ''))
  .pipe(z.string().regex(/^[1-9][0-9]{6,14}$/, 'must be a phone number in international format, e.g. 447700900123 or +44 7700 900123'));

function answerTo(question: PollQuestion): z.ZodType<string> {
  const text = z.string().trim().min(1, 'must not be empty').max(500);
  const { choices } = question;
  if (!choices) return text;
  return text.transform((value, ctx) => {
    const choice = choices.find((one) => one.toLowerCase() === value.toLowerCase());
    if (choice === undefined) ctx.addIssue({ code: 'custom', message: `must be one of ${choices.join(', ')}` });
    return choice ?? z.NEVER;
  });
}

export interface PollAnswer {
  msisdn: string;
  name?: string | undefined;
  answers: Record<string, string>;
}

/** The answer body for one poll: its questions are the only keys `answers` may have. */
function pollAnswerSchema(poll: PollDefinition): z.ZodType<PollAnswer> {
  const questionIds = poll.questions.map((question) => question.id).join(', ');
  const answers = z
    .object(Object.fromEntries(poll.questions.map((question) => [question.id, answerTo(question).optional()])))
    // Not z.never(): zod reports that as one "unrecognized keys" issue on `answers`; this names each key.
    .catchall(z.custom<never>(() => false, { error: `no such question in poll ${poll.key} (its questions: ${questionIds})` }))
    .refine((given) => Object.keys(given).length > 0, `give at least one answer (questions: ${questionIds})`);
  return z.strictObject({
    msisdn: Msisdn,
    name: z.string().trim().min(1).max(200).optional(),
    // A question left out is an absent key, never an undefined value.
    answers: answers.transform((given) => given as Record<string, string>),
  });
}

/**
 * Validates answers against the poll (the schema is built once per poll); a failure is a
 * `validation_failed` naming the field, e.g. `answers.status`.
 */
export function pollAnswerParser(poll: PollDefinition): (input: unknown) => PollAnswer {
  const schema = pollAnswerSchema(poll);
  return (input) => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error);
    return parsed.data;
  };
}
