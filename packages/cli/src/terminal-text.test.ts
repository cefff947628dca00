import { describe, expect, it } from 'vitest';
import { styles } from './output.js';
import { escapeControlCharacters, renderForTerminal, visibleLength } from './terminal-text.js';

describe('terminal text', () => {
  it('shows every control a terminal would act on as a visible escape', () => {
    expect(escapeControlCharacters('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    expect(escapeControlCharacters('\u001b]0;title\u0007')).toBe('\\x1b]0;title\\x07');
    expect(escapeControlCharacters('\u009b31m \u007f \u0000')).toBe('\\x9b31m \\x7f \\x00');
    expect(escapeControlCharacters('abc\u202edef \u2066x\u2069')).toBe(
      'abc\\u202edef \\u2066x\\u2069',
    );
    expect(escapeControlCharacters('overwrite\rme')).toBe('overwrite\\x0dme');
  });

  it('keeps newlines, tabs, line-ending carriage returns and ordinary text as they are', () => {
    const text = 'line one\r\n\tline two\nünïcødé → ✔ 日本';
    expect(escapeControlCharacters(text)).toBe(text);
  });

  it("renders only Baton's own styles; colour codes inside outside text stay inert", () => {
    const style = styles(true);
    const line = `${style.red('✖')} goal: x\u001b[31mfake\u001b[0m`;
    expect(renderForTerminal(line, true)).toBe(
      '\u001b[31m✖\u001b[39m goal: x\\x1b[31mfake\\x1b[0m',
    );
    expect(renderForTerminal(line, false)).toBe('✖ goal: x\\x1b[31mfake\\x1b[0m');
    expect(renderForTerminal(style.bold('plain'), false)).toBe('plain');
  });

  it('measures text as the terminal shows it', () => {
    const style = styles(true);
    expect(visibleLength(style.green('ok'))).toBe(2);
    expect(visibleLength('a\u001bb')).toBe('a\\x1bb'.length);
  });
});
