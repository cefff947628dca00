import { readFileSync } from 'node:fs';
import { adapterConformanceCases } from '@baton/core/testing';
import { describe, it } from 'vitest';
import hermes from './index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const fixture = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const answer = fixture('hermes-0.21-stdout-answer.txt').replace(/\n$/, '');

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
        expect: { status: 'failed', finalText: null, sessionId: null },
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
        expect: { status: 'failed', finalText: 'half done', sessionId: '20261121_150000_0c0ffe' },
      },
    ],
  })) {
    it(check.name, check.run);
  }
});
