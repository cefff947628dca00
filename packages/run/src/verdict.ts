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
  let lastIndex = -1;
  for (let index = lines.length - 1; index >= 0; index--) {
    if (lines[index]!.trim() !== '') {
      last = lines[index]!;
      lastIndex = index;
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
    const reason = rest.replace(/^[-:—–]\s*/, '');
    return {
      outcome: 'fail',
      reason: reason || failingCriteria(lines.slice(0, lastIndex)) || 'no reason given',
    };
  }
  return {
    outcome: 'missing',
    reason: `unreadable verdict line ${JSON.stringify(clip(line))}: expected PASS or FAIL`,
  };
}

/** Most failing criteria quoted as the reason of a FAIL verdict that gave none on its line. */
const MAX_QUOTED_CRITERIA = 3;
/** A line of the review that says something failed: `Criterion 1: FAIL — NOTES.md is missing.` */
const FAILING_LINE = /\b(?:FAIL(?:ED|S)?|NOT MET)\b|[✗✘❌]/;

/**
 * The reviewer's failing criteria, for a `VERDICT: FAIL` line without a reason: the lines of
 * the review that say FAIL (or NOT MET, ✗), joined; `''` when there are none.
 */
function failingCriteria(lines: readonly string[]): string {
  const failing = lines
    .map((line) => line.replace(DECORATION, '').trim())
    .filter((line) => line !== '' && FAILING_LINE.test(line) && !VERDICT_LINE.test(line));
  if (failing.length === 0) return '';
  const quoted = failing.slice(0, MAX_QUOTED_CRITERIA).map((line) => clip(line));
  const more = failing.length - quoted.length;
  return quoted.join('; ') + (more > 0 ? ` (and ${more} more failing)` : '');
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
