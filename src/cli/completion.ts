/**
 * Shell completion scripts generated from the commander program itself: every subcommand, its options,
 * the choices of an option that has them, files for options that take a file. Adding an option to a
 * command adds it here without touching this file.
 */
import type { Command, Option } from 'commander';
import { REPORTER_NAMES } from '../report/reporters/spec.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionSpec {
  long?: string;
  short?: string;
  description: string;
  takesValue: boolean;
  choices?: string[];
  file: boolean;
  repeatable: boolean;
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** Values of a positional argument that has choices (completion <shell>). */
  argChoices: string[];
}

function optionSpec(o: Option): OptionSpec {
  const takesValue = o.required || o.optional;
  const isReporter = o.long === '--reporter';
  return {
    ...(o.long ? { long: o.long } : {}),
    ...(o.short ? { short: o.short } : {}),
    description: o.description,
    takesValue,
    ...(o.argChoices ? { choices: [...o.argChoices] } : isReporter ? { choices: [...REPORTER_NAMES] } : {}),
    file: /<(file|path)>/.test(o.flags),
    repeatable: Array.isArray(o.defaultValue) || isReporter,
  };
}

export function describeProgram(program: Command): CommandSpec[] {
  return program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    options: [...c.options.map(optionSpec), { long: '--help', short: '-h', description: 'show help', takesValue: false, file: false, repeatable: false }],
    argChoices: c.registeredArguments.flatMap((a) => a.argChoices ?? []),
  }));
}

export function completionScript(program: Command, shell: Shell): string {
  const commands = describeProgram(program);
  const name = program.name();
  if (shell === 'bash') return bashScript(name, commands);
  if (shell === 'zsh') return zshScript(name, commands);
  return fishScript(name, commands);
}

const words = (o: OptionSpec) => [o.short, o.long].filter((x): x is string => Boolean(x));

function bashScript(name: string, commands: CommandSpec[]): string {
  const fn = `_${name.replace(/\W/g, '_')}`;
  const cases = commands.map((c) => {
    const values = c.options.filter((o) => o.takesValue).map((o) => {
      const reply = o.choices ? `COMPREPLY=( $(compgen -W "${o.choices.join(' ')}" -- "$cur") )` : o.file ? 'COMPREPLY=( $(compgen -f -- "$cur") )' : 'COMPREPLY=()';
      return `        ${words(o).join('|')}) ${reply}; return ;;`;
    });
    return [
      `    ${c.name})`,
      '      case "$prev" in',
      ...values,
      '      esac',
      `      COMPREPLY=( $(compgen -W "${[...c.argChoices, ...c.options.flatMap(words)].join(' ')}" -- "$cur") ) ;;`,
    ].join('\n');
  });
  return `# bash completion for ${name} (generated: ${name} completion bash)
# Install: ${name} completion bash > ~/.local/share/bash-completion/completions/${name}
${fn}() {
  local cur prev cmd i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W "${commands.map((c) => c.name).join(' ')} --help --version" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases.join('\n')}
  esac
}
complete -o default -F ${fn} ${name}
`;
}

/** zsh _arguments specs: [, ], : and \ in descriptions would end the field; ' ends the quoting. */
const zshText = (s: string) => s.replace(/\\/g, '\\\\').replace(/[[\]:]/g, (m) => `\\${m}`).replace(/'/g, `'\\''`);

function zshScript(name: string, commands: CommandSpec[]): string {
  const fn = `_${name.replace(/\W/g, '_')}`;
  const cases = commands.map((c) => {
    const specs = c.options.map((o) => {
      const flags = words(o);
      const names = flags.length > 1 ? `{${flags.join(',')}}` : flags[0]!;
      const exclusive = flags.length > 1 && !o.repeatable ? `'(${flags.join(' ')})'` : '';
      const star = o.repeatable ? "'*'" : '';
      const action = !o.takesValue ? '' : o.choices ? `:value:(${o.choices.join(' ')})` : o.file ? ':file:_files' : ':value: ';
      return `        ${exclusive}${star}${names}'[${zshText(o.description)}]${action}'`;
    });
    if (c.argChoices.length) specs.push(`        ':argument:(${c.argChoices.join(' ')})'`);
    return `    ${c.name})\n      _arguments -s \\\n${specs.join(' \\\n')} ;;`;
  });
  return `#compdef ${name}
# zsh completion for ${name} (generated: ${name} completion zsh)
# Install: ${name} completion zsh > "\${fpath[1]}/_${name}"   (or: source <(${name} completion zsh))
${fn}() {
  local -a commands
  commands=(
${commands.map((c) => `    '${c.name}:${c.description.replace(/'/g, `'\\''`)}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases.join('\n')}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

const fishText = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishScript(name: string, commands: CommandSpec[]): string {
  const lines = [
    `# fish completion for ${name} (generated: ${name} completion fish)`,
    `# Install: ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `complete -c ${name} -f`,
    ...commands.map((c) => `complete -c ${name} -n __fish_use_subcommand -a ${c.name} -d ${fishText(c.description)}`),
  ];
  for (const c of commands) {
    if (c.argChoices.length) lines.push(`complete -c ${name} -n '__fish_seen_subcommand_from ${c.name}' -a ${fishText(c.argChoices.join(' '))}`);
    for (const o of c.options) {
      const parts = [`complete -c ${name} -n '__fish_seen_subcommand_from ${c.name}'`];
      if (o.short) parts.push(`-s ${o.short.slice(1)}`);
      if (o.long) parts.push(`-l ${o.long.slice(2)}`);
      if (o.takesValue) parts.push(o.file ? '-r -F' : o.choices ? `-x -a ${fishText(o.choices.join(' '))}` : '-x');
      parts.push(`-d ${fishText(o.description)}`);
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}
