import { readFileSync } from 'node:fs';
import type { ProcessExit } from '@baton/core';
import { adapterConformanceCases } from '@baton/core/testing';
import { describe, it } from 'vitest';
import adapter from './index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Written from the documented stream-json format of Gemini CLI 0.56.0, not captured from
// the binary: see __fixtures__/README.md.
function lines(name: string): string[] {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8').split('\n');
}

const exit = (exitCode: number): ProcessExit => ({
  exitCode,
  signal: null,
  stderrTail: '',
  resultFiles: {},
});

describe('baton-adapter-gemini conformance', () => {
  for (const check of adapterConformanceCases(adapter, {
    packageJson,
    samples: [
      {
        name: 'gemini 0.56.0 (documented) plain answer',
        lines: lines('gemini-0.56.0-documented-simple.jsonl'),
        exit: exit(0),
        expect: {
          status: 'succeeded',
          finalText: 'Hello from Gemini.',
          sessionId: '5f0c2f8e-0a4b-4c1e-9d7a-3e2b1c0d9f8a',
        },
      },
      {
        name: 'gemini 0.56.0 (documented) tool calls',
        lines: lines('gemini-0.56.0-documented-tool-calls.jsonl'),
        exit: exit(0),
        expect: {
          status: 'succeeded',
          finalText: 'The README says hello.',
          sessionId: '0b7d6a51-93c4-4f0e-8a55-2f1e6d3c4b21',
        },
      },
      {
        name: 'gemini 0.56.0 (documented) API 429',
        lines: lines('gemini-0.56.0-documented-api-error-429.jsonl'),
        exit: exit(1),
        expect: {
          status: 'failed',
          finalText: null,
          sessionId: 'c3e1a9f2-7d44-4b8e-b1a0-6f5e2d9c8a17',
        },
      },
      {
        name: 'gemini 0.56.0 (documented) empty model response, exit 0',
        lines: lines('gemini-0.56.0-documented-invalid-stream.jsonl'),
        exit: exit(0),
        expect: { status: 'failed', finalText: null },
      },
    ],
  })) {
    it(check.name, check.run);
  }
});
