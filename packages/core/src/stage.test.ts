import { describe, expect, it } from 'vitest';
import { BatonError } from './errors.js';
import { parseStage, STAGES } from './stage.js';
import { closestMatch } from './suggest.js';

describe('stages', () => {
  it('is the closed set, in mission order', () => {
    expect(STAGES).toEqual(['interview', 'execute', 'evaluate', 'reflect']);
  });

  it('parses stage names case-insensitively', () => {
    expect(parseStage(' Evaluate ')).toBe('evaluate');
  });

  it('rejects an unknown stage with the accepted values and the closest one', () => {
    try {
      parseStage('interveiw');
      expect.unreachable();
    } catch (error) {
      expect(BatonError.isInstance(error)).toBe(true);
      expect((error as BatonError).code).toBe('UNKNOWN_STAGE');
      expect((error as BatonError).message).toBe(
        'Unknown stage "interveiw". Accepted stages: interview, execute, evaluate, reflect. Did you mean "interview"?',
      );
    }
  });

  it('offers no suggestion when nothing is close', () => {
    expect(() => parseStage('deploy')).toThrow(
      /^Unknown stage "deploy"\. Accepted stages: [a-z, ]+\.$/,
    );
  });
});

describe('closestMatch', () => {
  it('finds transpositions and small typos, not distant words', () => {
    expect(closestMatch('cluade', ['claude', 'codex'])).toBe('claude');
    expect(closestMatch('opnecode', ['opencode', 'codex'])).toBe('opencode');
    expect(closestMatch('zzzzzz', ['claude', 'codex'])).toBeUndefined();
  });
});

describe('BatonError', () => {
  it('is recognised across copies of the package by its marker, not its prototype', () => {
    const error = new BatonError('USAGE', 'bad');
    const copy = Object.assign(Object.create(null), {
      [Symbol.for('baton.error')]: true,
      code: 'USAGE',
    });
    expect(BatonError.isInstance(error)).toBe(true);
    expect(BatonError.isInstance(copy)).toBe(true);
    expect(BatonError.isInstance(new Error('plain'))).toBe(false);
    expect(error.toJSON()).toEqual({ code: 'USAGE', message: 'bad' });
  });
});
