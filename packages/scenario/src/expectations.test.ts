/** Each operator on each kind of subject, passing and failing, with what it reports. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '@baton/run/api';
import { afterAll, describe, expect, it } from 'vitest';
import { checkExpectations, type RunEvidence, valueAt } from './expectations.js';
import type { Expectation, ExpectationSubject } from './load.js';

const workspace = mkdtempSync(join(tmpdir(), 'baton-expect-'));
writeFileSync(join(workspace, 'verbose.txt'), 'verbose on\n');
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const result = {
  runId: 'run-1',
  status: 'succeeded',
  stages: { execute: { runtime: 'opencode', attempts: 2, runtimes: ['codex', 'opencode'] } },
  usage: { totalTokens: 120 },
} as unknown as RunResult;

const evidence: RunEvidence = {
  result,
  workspace,
  events: [
    {
      runId: 'run-1',
      seq: 1,
      type: 'control.directive.emitted',
      at: '',
      payload: { stage: 'execute', extra: { runtime_id: 'codex' } },
    },
    {
      runId: 'run-1',
      seq: 2,
      type: 'control.directive.emitted',
      at: '',
      payload: { stage: 'evaluate', extra: { runtime_id: 'claude-code' } },
    },
  ],
  requests: [
    {
      seq: 1,
      stage: 'evaluate',
      runtime: 'claude-code',
      api: 'messages',
      model: 'm',
      path: '/v1/messages',
      status: 200,
      turn: 0,
      stream: true,
      text: 'Baton role contract v1 — Reviewer (stage: evaluate)',
      body: {},
      headers: {},
    },
  ],
};

function check(subject: ExpectationSubject, operator: Expectation['operator'], expected: unknown) {
  const [outcome] = checkExpectations(
    [{ index: 0, line: 3, subject, operator, expected }],
    evidence,
  );
  return outcome!;
}

const result_ = (path: string): ExpectationSubject => ({ kind: 'result', path });
const file = (name: string): ExpectationSubject => ({ kind: 'file', file: name });
const directives = (
  where: Record<string, unknown>,
  path: string | null,
  pick: 'all' | 'any' | 'first' | 'last' = 'all',
): ExpectationSubject => ({ kind: 'event', type: 'control.directive.emitted', where, path, pick });
const requests = (where: Record<string, unknown>, path: string | null): ExpectationSubject => ({
  kind: 'request',
  where,
  path,
  pick: 'all',
});

describe('operators', () => {
  const cases: [string, ExpectationSubject, Expectation['operator'], unknown, unknown][] = [
    // subject, operator, a value that passes, a value that fails
    ['result eq', result_('stages.execute.runtime'), 'eq', 'opencode', 'codex'],
    ['result ne', result_('status'), 'ne', 'failed', 'succeeded'],
    ['result exists', result_('stages.execute'), 'exists', true, false],
    ['result contains (array)', result_('stages.execute.runtimes'), 'contains', 'codex', 'hermes'],
    ['result matches', result_('status'), 'matches', '^succ', '^fail'],
    ['result gt', result_('usage.totalTokens'), 'gt', 100, 120],
    ['result lt', result_('usage.totalTokens'), 'lt', 121, 120],
    ['file exists', file('verbose.txt'), 'exists', true, false],
    ['file contains', file('verbose.txt'), 'contains', 'verbose', 'quiet'],
    ['file eq', file('verbose.txt'), 'eq', 'verbose on\n', 'verbose on'],
    ['file matches', file('verbose.txt'), 'matches', 'on\\n$', '^off'],
    [
      'event ne (all)',
      directives({ stage: 'evaluate' }, 'extra.runtime_id'),
      'ne',
      'codex',
      'claude-code',
    ],
    ['event count', directives({}, null), 'count', 2, 3],
    ['event exists', directives({ stage: 'execute' }, null), 'exists', true, false],
    [
      'request contains',
      requests({ stage: 'evaluate' }, 'text'),
      'contains',
      '(stage: evaluate)',
      '(stage: execute)',
    ],
    ['request eq', requests({ runtime: 'claude-code' }, 'api'), 'eq', 'messages', 'chat'],
  ];
  for (const [name, subject, operator, passing, failing] of cases) {
    it(`${name}: passes and fails`, () => {
      expect(check(subject, operator, passing).passed).toBe(true);
      const failed = check(subject, operator, failing);
      expect(failed.passed).toBe(false);
      expect(failed.expected).toBe(`${operator} ${JSON.stringify(failing)}`);
      expect(failed.actual).not.toBe('');
    });
  }

  it('says what was found when an expectation fails', () => {
    expect(check(result_('stages.execute.runtime'), 'eq', 'codex')).toMatchObject({
      description: 'stages.execute.runtime eq "codex"',
      actual: '"opencode"',
      line: 3,
    });
    expect(check(file('missing.txt'), 'contains', 'x').actual).toBe('no such file');
    expect(check(directives({ stage: 'reflect' }, 'extra.runtime_id'), 'eq', 'x').actual).toBe(
      'none matched',
    );
    expect(check(directives({}, 'extra.runtime_id', 'any'), 'eq', 'codex').passed).toBe(true);
    expect(check(directives({}, 'extra.runtime_id', 'last'), 'eq', 'codex').passed).toBe(false);
  });

  it('never reads a file outside the workspace', () => {
    expect(check(file('../../../etc/passwd'), 'exists', true).passed).toBe(false);
  });
});

describe('valueAt', () => {
  it('reads dotted and indexed paths, and misses cleanly', () => {
    const value = { a: [{ b: 1 }, { b: 2 }] };
    expect(valueAt(value, 'a[1].b')).toBe(2);
    expect(valueAt(value, 'a.0.b')).toBe(1);
    expect(valueAt(value, 'a[5].b')).toBeUndefined();
    expect(valueAt(value, 'constructor')).toBeUndefined();
  });
});
