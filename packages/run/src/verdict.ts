import type { Verdict } from './engine/types.js';

/** The line every evaluate stage must end its final message with. */
export const VERDICT_INSTRUCTION =
  'End your final message with exactly one verdict line, on its own: `VERDICT: PASS` or `VERDICT: FAIL <reason>`.';

const VERDICT_LINE = /^verdict\s*:\s*(\S+)\s*(.*)$/i;
/** Markdown an answer may wrap its last line in (`**VERDICT: PASS**`, `> VERDICT: …`). */
const DECORATION = /^[\s*_`>#-]+|[\s*_`]+$/g;

/**
 * Reads the verdict from the last non-empty line of the evaluate stage's final message.
 * Anything else — no message, a verdict that is not the last line, a word other than PASS
 * or FAIL, text after PASS — is a missing verdict, which counts as a failure.
 */
export function readVerdict(finalText: string | null): Verdict {
  if (finalText === null || finalText.trim() === '') {
    return { outcome: 'missing', reason: 'the evaluate stage produced no final message' };
  }
  const lines = finalText.split(/\r?\n/);
  let last = '';
  for (let index = lines.length - 1; index >= 0; index--) {
    if (lines[index]!.trim() !== '') {
      last = lines[index]!;
      break;
    }
  }
  const line = last.replace(DECORATION, '');
  const match = VERDICT_LINE.exec(line);
  if (!match) {
    return {
      outcome: 'missing',
      reason: `the final message does not end with a VERDICT line (last line: ${JSON.stringify(clip(line))})`,
    };
  }
  const word = match[1]!.replace(/[*_`.:]+$/, '').toUpperCase();
  const rest = match[2]!.replace(/^[*_`]+/, '').trim();
  if (word === 'PASS') {
    if (rest === '' || rest === '.') return { outcome: 'pass' };
    return {
      outcome: 'missing',
      reason: `unreadable verdict line ${JSON.stringify(clip(line))}: nothing may follow PASS`,
    };
  }
  if (word === 'FAIL') {
    return { outcome: 'fail', reason: rest.replace(/^[-:—–]\s*/, '') || 'no reason given' };
  }
  return {
    outcome: 'missing',
    reason: `unreadable verdict line ${JSON.stringify(clip(line))}: expected PASS or FAIL`,
  };
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
