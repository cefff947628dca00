/**
 * `baton completion bash|zsh|fish`: each script, loaded in the real shell, completes baton's
 * commands, a command's options and the values some options take. (zsh's completion system
 * is replaced by stubs that record what the script offers; bash and fish complete for real.)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../test-support/project.js';

function script(shell: string): string {
  const result = runCli(tempProject(), ['completion', shell]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

function shell(program: string, args: readonly string[]): string {
  const result = spawnSync(program, args, { encoding: 'utf8', timeout: 20_000 });
  expect(result.error, `${program} must be installed for these tests`).toBeUndefined();
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** What the bash script offers for the words typed so far (the last one being completed). */
function bash(file: string, words: readonly string[]): string[] {
  const quoted = words.map((word) => `'${word}'`).join(' ');
  const output = shell('bash', [
    '-c',
    `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _baton; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  return output.split('\n').filter(Boolean);
}

/** What the zsh script offers, with zsh's completion functions recording their arguments. */
function zsh(file: string, words: readonly string[]): string[] {
  const quoted = words.map((word) => `'${word}'`).join(' ');
  const output = shell('zsh', [
    '-c',
    `compdef() { :; }
     _describe() { local name=$2; for entry in \${(P)name}; do print -r -- "\${entry%%:*}"; done; }
     compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }
     _files() { print -r -- "<files $*>"; }
     source '${file}'
     words=(${quoted}); CURRENT=${words.length}
     _baton`,
  ]);
  return output.split('\n').filter(Boolean);
}

/** What fish offers for a command line, completing for real. */
function fish(file: string, line: string): string[] {
  const output = shell('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`]);
  return output
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.split('\t')[0]!);
}

/**
 * zsh and fish are not on every machine: where one is missing the test says so in its name and
 * is skipped — except under CI, which installs both (`.ci/run`) and where a missing shell fails.
 */
function needs(program: string): { skip: boolean; note: string } {
  const installed = spawnSync(program, ['--version'], { encoding: 'utf8' }).error === undefined;
  const skip = !installed && process.env.CI !== 'true';
  return { skip, note: skip ? ` (skipped: ${program} is not installed here)` : '' };
}
const zshShell = needs('zsh');
const fishShell = needs('fish');

describe('baton completion', () => {
  it('bash: commands, options of the command typed, stages, folders', () => {
    const root = tempProject();
    const file = join(root, 'baton.bash');
    writeFileSync(file, script('bash'));
    expect(bash(file, ['baton', 'res'])).toEqual(['resume']);
    expect(bash(file, ['baton', 'sh'])).toEqual(['show']);
    expect(bash(file, ['baton', 'resume', 'abc', '--a'])).toEqual(['--approve']);
    expect(bash(file, ['baton', 'run', 'goal', '--'])).toEqual(
      expect.arrayContaining(['--mission', '--quiet', '--verbose', '--json', '--workspace']),
    );
    expect(bash(file, ['baton', 'show', 'abc', '--stage', 'ex'])).toEqual(['execute']);
    expect(bash(file, ['baton', 'completion', 'f'])).toEqual(['fish']);
    expect(bash(file, ['baton', 'help', 'doc'])).toEqual(['doctor']);
  });

  it.skipIf(zshShell.skip)(
    `zsh: the same, through its completion functions${zshShell.note}`,
    () => {
      const root = tempProject();
      const file = join(root, '_baton');
      writeFileSync(file, script('zsh'));
      shell('zsh', ['-n', file]);
      expect(zsh(file, ['baton', ''])).toEqual(
        expect.arrayContaining(['run', 'show', 'resume', 'completion']),
      );
      expect(zsh(file, ['baton', 'resume', ''])).toEqual(
        expect.arrayContaining(['--approve', '--reject', '--input', '--last', '--json']),
      );
      expect(zsh(file, ['baton', 'show', '--stage', ''])).toEqual([
        'interview',
        'execute',
        'evaluate',
        'reflect',
      ]);
      expect(zsh(file, ['baton', 'run', '--workspace', ''])).toEqual(['<files -/>']);
    },
  );

  it.skipIf(fishShell.skip)(
    `fish: commands with their summaries, options and values, for real${fishShell.note}`,
    () => {
      const root = tempProject();
      const file = join(root, 'baton.fish');
      writeFileSync(file, script('fish'));
      shell('fish', ['--no-config', '--no-execute', file]);
      expect(fish(file, 'baton sh')).toEqual(['show']);
      expect(fish(file, 'baton resume x --re')).toEqual(['--reject']);
      expect(fish(file, 'baton show x --stage ')).toEqual([
        'evaluate',
        'execute',
        'interview',
        'reflect',
      ]);
      expect(fish(file, 'baton completion ')).toEqual(['bash', 'fish', 'zsh']);
    },
  );

  it('refuses a shell it does not know', () => {
    const result = runCli(tempProject(), ['completion', 'powershell']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'baton: completion: name one shell: bash, zsh, fish (got "powershell").\n',
    );
  });
});
