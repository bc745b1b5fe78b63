import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage, SwitchboardError, validationError } from '#libs/errors';
import { Token } from '#libs/events';

/** The poll this app runs when POLL_FILE is not set. */
export const DEFAULT_POLL_FILE = path.join(import.meta.dirname, 'ops-poll.json');

/** Answers are copied to the top level of event_data, so these ids would overwrite the envelope's own fields. */
const RESERVED_QUESTION_IDS = ['msisdn', 'answers'];

export const PollQuestion = z.object({
  id: Token.refine((id) => !RESERVED_QUESTION_IDS.includes(id), {
    message: `is reserved (${RESERVED_QUESTION_IDS.join(', ')} are fields of the poll_complete event)`,
  }).describe('the answer\'s key in event_data.answers and at the top of event_data; a question "name" sets event_data.name'),
  text: z.string().trim().min(1).max(500),
  choices: z
    .array(z.string().trim().min(1).max(100))
    .min(1)
    // Answers match choices ignoring case, so choices must differ by more than case.
    .refine(
      (choices) => new Set(choices.map((choice) => choice.toLowerCase())).size === choices.length,
      'choices must differ (ignoring case)',
    )
    .optional()
    .describe('when set, an answer must be one of these (matched ignoring case, stored as written here)'),
});

export const PollDefinition = z.object({
  account_key: Token,
  key: Token.describe('the conversation_key of the poll_complete events'),
  title: z.string().trim().min(1).max(200).optional(),
  questions: z
    .array(PollQuestion)
    .min(1)
    .refine((questions) => new Set(questions.map((question) => question.id)).size === questions.length, 'question ids must be unique'),
});

export type PollQuestion = z.infer<typeof PollQuestion>;
export type PollDefinition = z.infer<typeof PollDefinition>;

/** Reads and validates a poll definition file; errors name the file and the field. */
export async function loadPollDefinition(file: string): Promise<PollDefinition> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new SwitchboardError('validation_failed', `poll file ${file}: ${errorMessage(err)}`);
  }
  const parsed = PollDefinition.safeParse(json);
  if (!parsed.success) {
    const invalid = validationError(parsed.error);
    throw new SwitchboardError('validation_failed', `poll file ${file}: ${invalid.message}`, invalid.details);
  }
  return parsed.data;
}
