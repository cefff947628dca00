import { describe, expect, it } from 'vitest';
import { readVerdict } from './verdict.js';

describe('readVerdict', () => {
  it('reads PASS and FAIL from the last line', () => {
    expect(readVerdict('Criterion 1: PASS\nVERDICT: PASS')).toEqual({ outcome: 'pass' });
    expect(readVerdict('All good.\n\nVERDICT: PASS\n\n')).toEqual({ outcome: 'pass' });
    expect(readVerdict('Tests fail.\nVERDICT: FAIL the --verbose flag is not parsed')).toEqual({
      outcome: 'fail',
      reason: 'the --verbose flag is not parsed',
    });
    expect(readVerdict('**VERDICT: FAIL** — no tests')).toEqual({
      outcome: 'fail',
      reason: 'no tests',
    });
    expect(readVerdict('`VERDICT: PASS`')).toEqual({ outcome: 'pass' });
    expect(readVerdict('VERDICT: FAIL')).toEqual({ outcome: 'fail', reason: 'no reason given' });
  });

  it("takes a bare FAIL's reason from the failing criteria of the review", () => {
    expect(
      readVerdict('Criterion 1: FAIL — NOTES.md is missing.\nCriterion 2: PASS\n\nVERDICT: FAIL'),
    ).toEqual({ outcome: 'fail', reason: 'Criterion 1: FAIL — NOTES.md is missing.' });
    expect(
      readVerdict(
        [
          '- **Criterion 1**: NOT MET (no test)',
          '- Criterion 2: ✗ docs unchanged',
          '- Criterion 3: FAILED lint',
          '- Criterion 4: FAIL on Windows',
          '- Criterion 5: PASS',
          '**VERDICT: FAIL**',
        ].join('\n'),
      ),
    ).toEqual({
      outcome: 'fail',
      reason:
        'Criterion 1**: NOT MET (no test); Criterion 2: ✗ docs unchanged; Criterion 3: FAILED lint (and 1 more failing)',
    });
    // A reason on the verdict line wins; a review naming nothing failing still says so.
    expect(readVerdict('Criterion 1: FAIL — a\nVERDICT: FAIL b')).toEqual({
      outcome: 'fail',
      reason: 'b',
    });
    expect(readVerdict('All looked fine to me.\nVERDICT: FAIL')).toEqual({
      outcome: 'fail',
      reason: 'no reason given',
    });
  });

  it('counts anything else as a missing verdict', () => {
    expect(readVerdict(null)).toEqual({
      outcome: 'missing',
      reason: 'the evaluate stage produced no final message',
    });
    expect(readVerdict('  \n')).toEqual({
      outcome: 'missing',
      reason: 'the evaluate stage produced no final message',
    });
    expect(readVerdict('VERDICT: PASS\nThanks for reading.')).toEqual({
      outcome: 'missing',
      reason:
        'the final message does not end with a VERDICT line (last line: "Thanks for reading.")',
    });
    expect(readVerdict('VERDICT: MAYBE')).toEqual({
      outcome: 'missing',
      reason: 'unreadable verdict line "VERDICT: MAYBE": expected PASS or FAIL',
    });
    expect(readVerdict('VERDICT: PASS with caveats')).toEqual({
      outcome: 'missing',
      reason: 'unreadable verdict line "VERDICT: PASS with caveats": nothing may follow PASS',
    });
  });
});
