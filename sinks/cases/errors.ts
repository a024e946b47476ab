import { UsageError } from '../../operators/errors.js';

/** No case has this id (or id prefix); the CLI exits with code 2. */
export class CaseNotFoundError extends UsageError {
  constructor(
    readonly caseId: string,
    dbPath?: string,
  ) {
    super(`no case '${caseId}'${dbPath ? ` in ${dbPath}` : ''}; run 'pulse cases list' to see the case ids`);
  }
}

/** A case id prefix matches more than one case. */
export class AmbiguousCaseIdError extends UsageError {
  constructor(
    readonly prefix: string,
    readonly matches: readonly string[],
  ) {
    super(`case id '${prefix}' matches ${matches.length} cases (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', ...' : ''}); give more of the id`);
  }
}

/** A change the case tools refuse (unknown status, nothing to change, closing a closed case). */
export class CaseChangeError extends UsageError {
  constructor(message: string) {
    super(message);
  }
}
