import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './diff.js';

const lines = (count: number) => Array.from({ length: count }, (_, index) => `line ${index + 1}`);

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a.toml', 'x\n', 'x\n')).toBe('');
  });

  it('shows one hunk with three lines of context', () => {
    const before = `${lines(10).join('\n')}\n`;
    const after = before.replace('line 5\n', 'line five\n');
    expect(unifiedDiff('/home/u/.codex/config.toml', before, after)).toBe(
      [
        '--- a/home/u/.codex/config.toml',
        '+++ b/home/u/.codex/config.toml',
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+line five',
        ' line 6',
        ' line 7',
        ' line 8',
        '',
      ].join('\n'),
    );
  });

  it('splits distant changes into hunks and merges near ones', () => {
    const before = `${lines(20).join('\n')}\n`;
    const after = before.replace('line 2\n', '').replace('line 18\n', 'line 18\nadded\n');
    expect(unifiedDiff('f', before, after)).toBe(
      [
        '--- a/f',
        '+++ b/f',
        '@@ -1,5 +1,4 @@',
        ' line 1',
        '-line 2',
        ' line 3',
        ' line 4',
        ' line 5',
        '@@ -16,5 +15,6 @@',
        ' line 16',
        ' line 17',
        ' line 18',
        '+added',
        ' line 19',
        ' line 20',
        '',
      ].join('\n'),
    );
    const near = before.replace('line 5\n', 'five\n').replace('line 11\n', 'eleven\n');
    expect(unifiedDiff('f', before, near).match(/^@@/gm)).toHaveLength(1);
  });

  it('marks a missing final newline', () => {
    expect(unifiedDiff('f', 'a\nb', 'a\nb\n')).toBe(
      '--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n',
    );
    expect(unifiedDiff('f', 'a\n', 'a\nc')).toBe(
      '--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n a\n+c\n\\ No newline at end of file\n',
    );
  });

  it('shows created and deleted files against /dev/null', () => {
    expect(unifiedDiff('new.toml', null, 'a = 1\n')).toBe(
      '--- /dev/null\n+++ b/new.toml\n@@ -0,0 +1 @@\n+a = 1\n',
    );
    expect(unifiedDiff('old.toml', 'a = 1\n', null)).toBe(
      '--- a/old.toml\n+++ /dev/null\n@@ -1 +0,0 @@\n-a = 1\n',
    );
  });

  it('finds a minimal edit script', () => {
    const diff = unifiedDiff('f', 'a\nb\nc\na\nb\nb\na\n', 'c\nb\na\nb\na\nc\n');
    const changes = diff
      .split('\n')
      .filter((line) => /^[-+][^-+]/.test(line) || line === '-' || line === '+');
    expect(changes).toHaveLength(5);
  });
});

/** Applies a unified diff the way `patch` does, trusting its line numbers and counts. */
function applyPatch(before: string | null, diff: string): string | null {
  const source = before === null || before === '' ? [] : before.split(/(?<=\n)/);
  const lines = diff.split('\n').slice(2, -1);
  const output: string[] = [];
  let cursor = 0;
  let last: { kind: string; index: number } | undefined;
  for (const line of lines) {
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[1]) - (hunk[2] === '0' ? 0 : 1);
      output.push(...source.slice(cursor, start));
      cursor = start;
      continue;
    }
    if (line === '\\ No newline at end of file') {
      if (last?.kind !== '-') output[last!.index] = output[last!.index]!.replace(/\n$/, '');
      continue;
    }
    const kind = line[0]!;
    if (kind === ' ' || kind === '-') cursor += 1;
    if (kind === ' ' || kind === '+') {
      output.push(`${line.slice(1)}\n`);
      last = { kind, index: output.length - 1 };
    } else last = { kind, index: -1 };
  }
  output.push(...source.slice(cursor));
  return diff.includes('+++ /dev/null') ? null : output.join('');
}

describe('unifiedDiff round trip', () => {
  it('produces a patch that turns before into after', () => {
    const text = fc
      .tuple(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', '', 'x y'), { maxLength: 30 }),
        fc.boolean(),
      )
      .map(([lines, finalNewline]) =>
        lines.length === 0 ? '' : lines.join('\n') + (finalNewline ? '\n' : ''),
      );
    fc.assert(
      fc.property(text, text, (before, after) => {
        const diff = unifiedDiff('f', before, after);
        if (before === after) expect(diff).toBe('');
        else expect(applyPatch(before, diff)).toBe(after);
      }),
      { numRuns: 300 },
    );
  });
});
