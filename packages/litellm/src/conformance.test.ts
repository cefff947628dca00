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
        expect: { status: 'failed', finalText: null, failureClass: 'auth' },
      },
      {
        name: 'truncated stream',
        lines: lines('litellm-1.40-client-truncated.jsonl'),
        exit: clean,
        expect: { status: 'failed', failureClass: 'transient' },
      },
      {
        name: 'streamed reply with its cost (include_cost_in_streaming_usage)',
        lines: lines('litellm-main-client-stream-cost.jsonl'),
        exit: clean,
        expect: { status: 'succeeded', finalText: 'The plan looks sound.', sessionId: null },
      },
      {
        name: 'rate limiter 429 with retry-after',
        lines: lines('litellm-main-client-http-429-retry-after.jsonl'),
        exit: { ...clean, exitCode: 1 },
        expect: { status: 'failed', failureClass: 'rate_limited' },
      },
      {
        name: 'budget exceeded (BudgetExceededError)',
        lines: lines('litellm-main-client-budget-exceeded.jsonl'),
        exit: { ...clean, exitCode: 1 },
        expect: { status: 'failed', failureClass: 'quota_exhausted' },
      },
      {
        name: 'service unavailable (503)',
        lines: lines('litellm-main-client-http-503.jsonl'),
        exit: { ...clean, exitCode: 1 },
        expect: { status: 'failed', failureClass: 'transient' },
      },
      {
        name: 'proxy unreachable',
        lines: lines('litellm-main-client-connection-refused.jsonl'),
        exit: { ...clean, exitCode: 1 },
        expect: { status: 'failed', failureClass: 'unavailable' },
      },
    ],
  })) {
    it(check.name, check.run);
  }
});
