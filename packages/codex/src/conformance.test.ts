import { readFileSync } from 'node:fs';
import type { ProcessExit } from '@baton/core';
import { adapterConformanceCases } from '@baton/core/testing';
import { describe, it } from 'vitest';
import adapter from './index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function lines(name: string): string[] {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8').split('\n');
}

const exit = (exitCode: number): ProcessExit => ({
  exitCode,
  signal: null,
  stderrTail: '',
  resultFiles: {},
});

describe('@baton/codex conformance', () => {
  for (const check of adapterConformanceCases(adapter, {
    packageJson,
    samples: [
      {
        name: 'codex 0.169.0 plain answer',
        lines: lines('codex-0.169.0-exec-json-simple.jsonl'),
        exit: exit(0),
        expect: {
          status: 'succeeded',
          finalText: 'Hello from stub',
          sessionId: '01a1ffe5-7184-7220-8660-b0531b834ce8',
        },
      },
      {
        name: 'codex 0.169.0 tool call',
        lines: lines('codex-0.169.0-exec-json-toolcall.jsonl'),
        exit: exit(0),
        expect: {
          status: 'succeeded',
          finalText: 'Hello from stub',
          sessionId: '01a1ffe8-75ad-75b0-9b44-cd5bbab37bc9',
        },
      },
      {
        name: 'codex 0.169.0 connection failed',
        lines: lines('codex-0.169.0-exec-json-connection-failed.txt'),
        exit: exit(1),
        expect: {
          status: 'failed',
          finalText: null,
          sessionId: '01a1ffe8-46c0-7832-810f-3ce14e70f22c',
          failureClass: 'unavailable',
        },
      },
      {
        name: 'codex 0.169.0 HTTP 401',
        lines: lines('codex-0.169.0-exec-json-http-401.jsonl'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'auth' },
      },
      {
        name: 'codex 0.169.0 usage limit',
        lines: lines('codex-0.169.0-exec-json-usage-limit.jsonl'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'quota_exhausted' },
      },
      {
        name: 'codex 0.169.0 rate limit in the stream',
        lines: lines('codex-0.169.0-exec-json-stream-rate-limit.jsonl'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'rate_limited' },
      },
      {
        name: 'codex 0.169.0 HTTP 500',
        lines: lines('codex-0.169.0-exec-json-http-500.jsonl'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'transient' },
      },
      {
        name: 'codex 0.169.0 HTTP 400',
        lines: lines('codex-0.169.0-exec-json-http-400.jsonl'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'task' },
      },
    ],
  })) {
    it(check.name, check.run);
  }
});
