/**
 * Every refusal from governance: a proposal or decision that does not validate,
 * an unknown id, a second decision, a backdated change, or a log that has been
 * tampered with. `code` lets the admin API choose a status; `problems` lists
 * every problem found in an input, each naming the field and the value.
 */
/** broken: the log was tampered with or damaged; storage: the file could not be written (disk full, I/O). */
export type GovernanceErrorCode = 'invalid' | 'not_found' | 'conflict' | 'broken' | 'storage';

export class GovernanceError extends Error {
  constructor(
    message: string,
    readonly code: GovernanceErrorCode,
    readonly problems: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'GovernanceError';
  }
}
