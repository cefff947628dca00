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
