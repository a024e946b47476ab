import { UsageError } from '../../operators/errors.js';
import { terminalSafe } from '../terminal-text.js';

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

/** How `pulse cases update` starts a team nobody works in yet. */
const CLI_NEW_TEAM = 'to start a new team, give --new-team (pulse cases update)';

/**
 * A case handed to a team that no case or console user has ('instal-care' for 'install-care'): it
 * would be seen by no member and its notices would reach nobody. The message ends with how to start
 * a new team, which differs between the command line and the console (`withHowToStart`).
 */
export class UnknownTeamError extends CaseChangeError {
  constructor(
    readonly team: string,
    /** Known teams close to `team` (likely what was meant), closest first. */
    readonly close: readonly string[],
    readonly teams: readonly string[],
  ) {
    super(unknownTeamMessage(team, close, teams, CLI_NEW_TEAM));
  }

  /** The same refusal, ending with another way to start a team. */
  withHowToStart(howToStart: string): string {
    return unknownTeamMessage(this.team, this.close, this.teams, howToStart);
  }
}

function unknownTeamMessage(team: string, close: readonly string[], teams: readonly string[], howToStart: string): string {
  const named = (list: readonly string[]): string => list.map((t) => terminalSafe(t)).join(', ');
  return (
    `no case or console user has the team '${terminalSafe(team)}'${close.length > 0 ? ` (did you mean ${named(close.slice(0, 3))}?)` : ''}; ` +
    `teams: ${named([...teams].sort()) || 'none yet'}. A case handed to a team nobody works in is seen by no member and its notices reach nobody; ` +
    howToStart
  );
}
