import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConformanceSample } from '@baton/core/testing';
import { adapterConformanceCases } from '@baton/core/testing';
import { describe, it } from 'vitest';
import adapter from './index.js';

const packageJson = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
);

function lines(name: string): string[] {
  return readFileSync(join(import.meta.dirname, '__fixtures__', name), 'utf8').split('\n');
}

const exit = (exitCode: number) => ({ exitCode, signal: null, stderrTail: '', resultFiles: {} });

const samples: ConformanceSample[] = [
  {
    name: 'claude 2.1.330 plain answer',
    lines: lines('claude-2.1.330-stream-json-simple.jsonl'),
    exit: exit(0),
    expect: {
      status: 'succeeded',
      finalText: 'Hello from stub',
      sessionId: '4cb922db-f10d-41ff-aeff-a5437125240f',
    },
  },
  {
    name: 'claude 2.1.330 tool call run with acceptEdits',
    lines: lines('claude-2.1.330-stream-json-toolcall-accept-edits.jsonl'),
    exit: exit(0),
    expect: {
      status: 'succeeded',
      finalText: 'Created made.txt.',
      sessionId: '998c9888-4120-4e64-bc74-9d01a27b7663',
    },
  },
  {
    name: 'claude 2.1.330 HTTP 401 (exit 1, subtype "success", is_error true)',
    lines: lines('claude-2.1.330-stream-json-http-401.jsonl'),
    exit: exit(1),
    expect: {
      status: 'failed',
      finalText: null,
      sessionId: 'f1ac17f4-c5ba-4e95-9be7-86c5a35b6146',
      failureClass: 'auth',
    },
  },
  {
    name: 'claude 2.1.330 HTTP 500 after retries',
    lines: lines('claude-2.1.330-stream-json-http-500-retries.jsonl'),
    exit: exit(1),
    expect: {
      status: 'failed',
      finalText: null,
      sessionId: 'e9ee99ed-9a0d-4b13-b280-34408a9fd0c4',
      failureClass: 'transient',
    },
  },
  {
    name: 'claude 2.1.330 connection refused',
    lines: lines('claude-2.1.330-stream-json-connection-refused.jsonl'),
    exit: exit(1),
    expect: { status: 'failed', finalText: null, failureClass: 'unavailable' },
  },
  {
    name: 'claude 2.1.330 HTTP 429 with retry-after, after its own retries',
    lines: lines('claude-2.1.330-stream-json-http-429-retry-after.jsonl'),
    exit: exit(1),
    expect: {
      status: 'failed',
      sessionId: 'e0300916-33c6-4d7b-acab-3b2a078c6429',
      failureClass: 'rate_limited',
    },
  },
  {
    name: 'claude 2.1.330 plan usage limit',
    lines: lines('claude-2.1.330-stream-json-usage-limit.jsonl'),
    exit: exit(1),
    expect: { status: 'failed', finalText: null, failureClass: 'quota_exhausted' },
  },
  {
    name: 'claude 2.1.330 credit balance too low',
    lines: lines('claude-2.1.330-stream-json-credit-balance-too-low.jsonl'),
    exit: exit(1),
    expect: { status: 'failed', failureClass: 'quota_exhausted' },
  },
  {
    name: 'claude 2.1.330 --max-turns reached',
    lines: lines('claude-2.1.330-stream-json-max-turns.jsonl'),
    exit: exit(1),
    expect: { status: 'failed', failureClass: 'task' },
  },
  {
    name: 'claude 2.1.330 tool call and answer at list price',
    lines: lines('claude-2.1.330-stream-json-multi-turn-cost.jsonl'),
    exit: exit(0),
    expect: {
      status: 'succeeded',
      finalText: 'Done.',
      sessionId: 'cf41acc5-b15c-491d-893e-233df1137690',
    },
  },
];

describe('@baton/claude-code conformance', () => {
  for (const check of adapterConformanceCases(adapter, { packageJson, samples }))
    it(check.name, check.run);
});
