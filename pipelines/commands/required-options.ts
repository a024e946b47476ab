import type { Command, Option } from 'commander';

/**
 * Commander checks required options before it looks for unknown ones, so a typo such as
 * `pulse run --confg job.yaml` was reported as a missing `--config` instead of as the unknown
 * `--confg` (with commander's "Did you mean --config?"). This makes the required options of
 * `program` and all its subcommands optional for commander and checks them in a `preAction` hook,
 * which commander runs after its unknown-option check. The messages and exit codes stay commander's.
 */
export function checkRequiredOptionsLast(program: Command): Command {
  const required = new Set<Option>();
  const collect = (command: Command): void => {
    for (const option of command.options) {
      if (!option.mandatory) continue;
      required.add(option);
      option.makeOptionMandatory(false);
    }
    command.commands.forEach(collect);
  };
  collect(program);
  program.hook('preAction', (_program, action) => {
    for (let command: Command | null = action; command !== null; command = command.parent) {
      for (const option of command.options) {
        if (required.has(option) && command.getOptionValue(option.attributeName()) === undefined) {
          action.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
        }
      }
    }
  });
  return program;
}
