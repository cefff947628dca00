/**
 * What reaches a terminal as control codes. Text from outside Baton — a runtime's output,
 * the goal, journal contents, config values, file contents — is made inert: every control
 * character (C0 except newline and tab, a carriage return not ending a line, DEL, C1) and
 * every bidirectional control that reorders what a line shows is printed as a visible
 * escape (`\x1b`, `\u202e`), so an escape sequence (CSI, OSC, ...) arrives as plain text.
 *
 * Baton's own styling survives because only `styleMark` can make it: a mark carries a token
 * drawn at random per process, which no outside text can contain, and becomes an ANSI code
 * (or nothing, without colour) only when the text is rendered for the terminal.
 */
// Outside text cannot see this process's random state, so Math.random is as good as a
// cryptographic source here, and loading node:crypto would add to every command's start-up.
const TOKEN = Array.from({ length: 4 }, () =>
  Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0'),
).join('');
const MARK = new RegExp(`\u0000${TOKEN}(\\d+)\u0000`, 'g');

/** A trusted SGR style code (`1` bold, `31` red, `39` default colour, ...). */
export function styleMark(code: number): string {
  return `\u0000${TOKEN}${code}\u0000`;
}

// Everything a terminal could act on: C0 but newline and tab, a CR not followed by LF (it
// would let a line overwrite itself), DEL, C1, and the Unicode bidirectional controls.
const CONTROL =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

/** `text` with every control character shown as a visible escape. */
export function escapeControlCharacters(text: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (character) => {
    const code = character.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Text as it goes to the terminal: outside text made inert, style marks rendered or dropped. */
export function renderForTerminal(text: string, color: boolean): string {
  if (!text.includes('\u0000')) return escapeControlCharacters(text);
  // split() with a capturing group alternates: text, code, text, code, ..., text.
  const parts = text.split(MARK);
  let result = '';
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    if (index % 2 === 0) result += escapeControlCharacters(part);
    else if (color) result += `\u001b[${part}m`;
  }
  return result;
}

/** How many columns `text` takes once rendered: style marks take none. */
export function visibleLength(text: string): number {
  return escapeControlCharacters(text.replace(MARK, '')).length;
}
