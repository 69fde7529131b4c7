/**
 * The one-line error policy of the suite: a UserError is a problem the user can fix (a bad
 * flag, a missing file); its message says what was wrong and what to do, and the command
 * prints it on one line and exits non-zero (src/cli.ts `runMain`). Anything else is a bug and
 * prints its stack.
 * @module
 */

/** An error whose message is shown to the user as one line, with a non-zero exit. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
