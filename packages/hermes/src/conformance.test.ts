import { readFileSync } from 'node:fs';
import { adapterConformanceCases, type ConformanceSample } from '@baton/core/testing';
import { describe, it } from 'vitest';
import hermes from './index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const fixture = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const answer = fixture('hermes-0.21-stdout-answer.txt').replace(/\n$/, '');

/** A `hermes chat -Q` run of Hermes 0.21.3 (see __fixtures__/README.md) as a sample. */
function chatSample(name: string, expect: ConformanceSample['expect']): ConformanceSample {
  const run = JSON.parse(fixture(`hermes-0.21.3-chat-q-${name}.json`)) as {
    stdout: string;
    stderr: string;
    exitCode: number;
  };
  return {
    name: `hermes 0.21.3 chat -Q: ${name}`,
    lines: run.stdout === '' ? [] : run.stdout.replace(/\n$/, '').split('\n'),
    exit: { exitCode: run.exitCode, signal: null, stderrTail: run.stderr, resultFiles: {} },
    expect,
  };
}

describe('Hermes adapter conformance', () => {
  for (const check of adapterConformanceCases(hermes, {
    packageJson,
    samples: [
      {
        name: 'completed run (hermes 0.21 usage report)',
        lines: answer.split('\n'),
        exit: {
          exitCode: 0,
          signal: null,
          stderrTail: '',
          resultFiles: { usage: fixture('hermes-0.21-usage-completed.json') },
        },
        expect: { status: 'succeeded', finalText: answer, sessionId: '20261121_141502_9f3c2a' },
      },
      {
        name: 'provider 401 (hermes 0.21 usage report, failed)',
        lines: [],
        exit: {
          exitCode: 1,
          signal: null,
          stderrTail: 'hermes: agent failed',
          resultFiles: { usage: fixture('hermes-0.21-usage-failed.json') },
        },
        expect: { status: 'failed', finalText: null, sessionId: null, failureClass: 'auth' },
      },
      {
        name: 'turn limit reached with exit 0 (hermes 0.21 usage report, partial)',
        lines: ['half done'],
        exit: {
          exitCode: 0,
          signal: null,
          stderrTail: '',
          resultFiles: { usage: fixture('hermes-0.21-usage-partial.json') },
        },
        expect: {
          status: 'failed',
          finalText: 'half done',
          sessionId: '20261121_150000_0c0ffe',
          failureClass: 'task',
        },
      },
      chatSample('answer', {
        status: 'succeeded',
        finalText: 'The change is in place.\nTests pass (12 of 12).',
        sessionId: '20261121_141502_9f3c2a',
      }),
      chatSample('http-401', { status: 'failed', failureClass: 'auth' }),
      chatSample('http-402-billing', { status: 'failed', failureClass: 'quota_exhausted' }),
      chatSample('http-429-retries', { status: 'failed', failureClass: 'rate_limited' }),
      chatSample('http-500-retries', { status: 'failed', failureClass: 'transient' }),
      chatSample('connection-error', { status: 'failed', failureClass: 'unavailable' }),
      chatSample('context-overflow', { status: 'failed', failureClass: 'task' }),
      chatSample('interrupted', {
        status: 'failed',
        sessionId: '20261121_141502_9f3c2a',
        failureClass: 'transient',
      }),
    ],
  })) {
    it(check.name, check.run);
  }
});
