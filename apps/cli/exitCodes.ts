/** What `switchboard escalate` exits with, as the tutorial's users script around it. */
export const EXIT = {
  read: 0,
  exhausted: 1,
  badConfig: 2,
  /** The server could not be reached or failed. */
  unavailable: 3,
} as const;

/** A failure that ends the command with a message and an exit code. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
