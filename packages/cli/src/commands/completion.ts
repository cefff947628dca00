import { STAGES } from '@baton/core';
import type { Command, CommandContext, CommandTable } from '../context.js';
import { EXIT_OK } from '../context.js';
import { GLOBAL_OPTIONS } from '../global-options.js';
import { usageError } from '../output.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** `baton completion`, over the commands of `commands`. */
export function completionCommand(commands: CommandTable): Command {
  return {
    name: 'completion',
    summary: 'Print a shell completion script: baton completion bash|zsh|fish.',
    usage: [
      'Usage: baton completion bash|zsh|fish',
      '',
      "Prints a completion script for the shell: baton's commands, each command's options, and",
      'stage names, file and folder names where an option takes them. Install it with:',
      '',
      '  bash  baton completion bash > ~/.local/share/bash-completion/completions/baton',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's own syntax, printed as it is.
      '  zsh   baton completion zsh > "${fpath[1]}/_baton"   (then start a new shell)',
      '  fish  baton completion fish > ~/.config/fish/completions/baton.fish',
    ].join('\n'),
    async run(context: CommandContext) {
      const shell = context.args[0];
      if (context.args.length !== 1 || !(SHELLS as readonly string[]).includes(shell ?? '')) {
        throw usageError(
          `completion: name one shell: ${SHELLS.join(', ')}${shell === undefined ? '' : ` (got "${context.args.join(' ')}")`}.`,
        );
      }
      const completed = await Promise.all(
        Object.entries(commands).map(async ([name, entry]) => ({
          name,
          summary: entry.summary,
          options: optionsOf((await entry.load()).usage),
        })),
      );
      context.stdout.write(render(shell as Shell, completed));
      return EXIT_OK;
    },
  };
}

interface CompletedCommand {
  readonly name: string;
  readonly summary: string;
  /** The command's own options, from its usage text (`--mission`, `--stage`, …). */
  readonly options: readonly string[];
}

/** Every `--option` a command's usage names: the usage is the one place they are listed. */
function optionsOf(usage: string): string[] {
  return [...new Set(usage.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? [])].filter(
    (option) => !Object.hasOwn(GLOBAL_OPTIONS, option.slice(2)),
  );
}

const GLOBALS = Object.keys(GLOBAL_OPTIONS).map((name) => `--${name}`);
const FILE_OPTIONS = ['--config', '--output'];
const FOLDER_OPTIONS = ['--workspace'];

function render(shell: Shell, commands: readonly CompletedCommand[]): string {
  switch (shell) {
    case 'bash':
      return bash(commands);
    case 'zsh':
      return zsh(commands);
    case 'fish':
      return fish(commands);
  }
}

function bash(commands: readonly CompletedCommand[]): string {
  const cases = commands
    .map((entry) => `    ${entry.name}) options="${[...entry.options, ...GLOBALS].join(' ')}" ;;`)
    .join('\n');
  return `# baton completion for bash. Install: baton completion bash > ~/.local/share/bash-completion/completions/baton
_baton() {
  local current="\${COMP_WORDS[COMP_CWORD]}" previous="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$previous" in
    ${FILE_OPTIONS.join('|')}) COMPREPLY=($(compgen -f -- "$current")); return ;;
    ${FOLDER_OPTIONS.join('|')}) COMPREPLY=($(compgen -d -- "$current")); return ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((entry) => entry.name).join(' ')} ${GLOBALS.join(' ')}" -- "$current"))
    return
  fi
  local options=""
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  case "\${COMP_WORDS[1]}:$previous" in
    contract:contract|show:--stage) COMPREPLY=($(compgen -W "${STAGES.join(' ')}" -- "$current")); return ;;
    completion:completion) COMPREPLY=($(compgen -W "${SHELLS.join(' ')}" -- "$current")); return ;;
    help:help) COMPREPLY=($(compgen -W "${commands.map((entry) => entry.name).join(' ')}" -- "$current")); return ;;
  esac
  COMPREPLY=($(compgen -W "$options" -- "$current"))
}
complete -o default -F _baton baton
`;
}

function zsh(commands: readonly CompletedCommand[]): string {
  const described = commands
    .map(
      (entry) =>
        `    '${entry.name}:${entry.summary.replaceAll("'", "'\\''").replaceAll(':', '\\:')}'`,
    )
    .join('\n');
  const cases = commands
    .map((entry) => `    ${entry.name}) options=(${[...entry.options, ...GLOBALS].join(' ')}) ;;`)
    .join('\n');
  return `#compdef baton
# baton completion for zsh. Install: baton completion zsh > "\${fpath[1]}/_baton"
_baton() {
  local -a commands options
  commands=(
${described}
  )
  case $words[CURRENT-1] in
    ${FILE_OPTIONS.join('|')}) _files; return ;;
    ${FOLDER_OPTIONS.join('|')}) _files -/; return ;;
  esac
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]:$words[CURRENT-1]" in
    contract:contract|show:--stage) compadd -- ${STAGES.join(' ')}; return ;;
    completion:completion) compadd -- ${SHELLS.join(' ')}; return ;;
    help:help) _describe 'command' commands; return ;;
  esac
  case $words[2] in
${cases}
  esac
  compadd -- $options
}
if [ "$funcstack[1]" = "_baton" ]; then _baton "$@"; else compdef _baton baton; fi
`;
}

function fish(commands: readonly CompletedCommand[]): string {
  const names = commands.map((entry) => entry.name).join(' ');
  const lines = [
    '# baton completion for fish. Install: baton completion fish > ~/.config/fish/completions/baton.fish',
    'complete -c baton -f',
    ...commands.map(
      (entry) =>
        `complete -c baton -n "not __fish_seen_subcommand_from ${names}" -a ${entry.name} -d ${fishQuote(entry.summary)}`,
    ),
    ...commands.flatMap((entry) =>
      entry.options.map(
        (option) =>
          `complete -c baton -n "__fish_seen_subcommand_from ${entry.name}" -l ${option.slice(2)}` +
          (option === '--stage' ? ` -x -a "${STAGES.join(' ')}"` : ''),
      ),
    ),
    ...GLOBALS.map(
      (option) =>
        `complete -c baton -l ${option.slice(2)}` +
        (FILE_OPTIONS.includes(option)
          ? ' -r -F'
          : FOLDER_OPTIONS.includes(option)
            ? ' -x -a "(__fish_complete_directories)"'
            : ''),
    ),
    `complete -c baton -n "__fish_seen_subcommand_from show" -l stage -x -a "${STAGES.join(' ')}"`,
    `complete -c baton -n "__fish_seen_subcommand_from contract" -a "${STAGES.join(' ')}"`,
    `complete -c baton -n "__fish_seen_subcommand_from completion" -a "${SHELLS.join(' ')}"`,
    `complete -c baton -n "__fish_seen_subcommand_from help" -a "${names}"`,
  ];
  return `${lines.join('\n')}\n`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
