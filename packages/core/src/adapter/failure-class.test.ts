import { describe, expect, it } from 'vitest';
import { failureClassOf } from './failure-class.js';

describe('failureClassOf', () => {
  it.each([
    ['auth', false, 'auth'],
    ['rate-limit', true, 'rate_limited'],
    ['rate-limit', false, 'quota_exhausted'],
    ['network', true, 'transient'],
    ['server', true, 'transient'],
    ['timeout', false, 'timeout'],
    ['model', false, 'task'],
    ['permission', false, 'task'],
    ['unknown', false, 'task'],
    ['unknown', true, 'transient'],
  ] as const)('%s (retryable %s) is %s', (kind, retryable, expected) => {
    expect(failureClassOf(kind, retryable)).toBe(expected);
  });
});
