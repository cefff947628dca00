import { readFileSync } from 'node:fs';
import { adapterConformanceCases } from '@baton/core/testing';
import { describe, it } from 'vitest';
import litellm from './index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const lines = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')
    .replace(/\n$/, '')
    .split('\n');
const clean = { exitCode: 0, signal: null, stderrTail: '', resultFiles: {} };

describe('LiteLLM adapter conformance', () => {
  for (const check of adapterConformanceCases(litellm, {
    packageJson,
    settings: { baseUrl: 'http://127.0.0.1:4000', model: 'coder' },
    samples: [
      {
        name: 'streamed reply (litellm 1.40 format)',
        lines: lines('litellm-1.40-client-stream.jsonl'),
        exit: clean,
        expect: { status: 'succeeded', finalText: 'The plan looks sound.', sessionId: null },
      },
      {
        name: 'rejected key (litellm 1.40 error envelope)',
        lines: lines('litellm-1.40-client-401.jsonl'),
        exit: { ...clean, exitCode: 1 },
        expect: { status: 'failed', finalText: null },
      },
      {
        name: 'truncated stream',
        lines: lines('litellm-1.40-client-truncated.jsonl'),
        exit: clean,
        expect: { status: 'failed' },
      },
    ],
  })) {
    it(check.name, check.run);
  }
});
