import { readFileSync } from 'node:fs';
import type { ProcessExit } from '@baton/core';
import { adapterConformanceCases } from '@baton/core/testing';
import { describe, it } from 'vitest';
import adapter from './index.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function lines(name: string): string[] {
  return readFileSync(
    new URL(`./__fixtures__/opencode-1.18.33-run-json-${name}.jsonl`, import.meta.url),
    'utf8',
  ).split('\n');
}

const exit = (exitCode: number): ProcessExit => ({
  exitCode,
  signal: null,
  stderrTail: '',
  resultFiles: {},
});

describe('@baton/opencode conformance', () => {
  for (const check of adapterConformanceCases(adapter, {
    packageJson,
    samples: [
      {
        name: 'opencode 1.18.33 plain answer',
        lines: lines('simple'),
        exit: exit(0),
        expect: {
          status: 'succeeded',
          finalText: 'Hello from stub',
          sessionId: 'ses_e0014db6cffe1xqLRYbZabiLeT',
        },
      },
      {
        name: 'opencode 1.18.33 bash tool call',
        lines: lines('toolcall'),
        exit: exit(0),
        expect: {
          status: 'succeeded',
          finalText: 'Hello from stub',
          sessionId: 'ses_e0012b785ffeXeEWiZPApDLs3f',
        },
      },
      {
        name: 'opencode 1.18.33 resumed session',
        lines: lines('resume-second'),
        exit: exit(0),
        expect: {
          status: 'succeeded',
          finalText: 'Second answer',
          sessionId: 'ses_dc447e84dfferls3DulLQnWPQN',
        },
      },
      {
        name: 'opencode 1.18.33 HTTP 401',
        lines: lines('http-401'),
        exit: exit(1),
        expect: {
          status: 'failed',
          finalText: null,
          sessionId: 'ses_e0012afabffec2A7MPea0NvgAY',
          failureClass: 'auth',
        },
      },
      {
        name: 'opencode 1.18.33 provider without an API key',
        lines: lines('provider-auth-missing-key'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'auth' },
      },
      {
        name: 'opencode 1.18.33 HTTP 429 with retry-after, after its own retries',
        lines: lines('http-429-retry-after'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'rate_limited' },
      },
      {
        name: 'opencode 1.18.33 HTTP 429 insufficient_quota',
        lines: lines('http-429-insufficient-quota'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'quota_exhausted' },
      },
      {
        name: 'opencode 1.18.33 HTTP 402',
        lines: lines('http-402'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'quota_exhausted' },
      },
      {
        name: 'opencode 1.18.33 HTTP 500, after its own retries',
        lines: lines('http-500'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'transient' },
      },
      {
        name: 'opencode 1.18.33 connection refused, after its own retries',
        lines: lines('connection-refused'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'unavailable' },
      },
      {
        name: 'opencode 1.18.33 context overflow',
        lines: lines('context-overflow'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, failureClass: 'task' },
      },
      {
        name: 'opencode 1.18.33 permission rejected (exit 0)',
        lines: lines('permission-rejected'),
        exit: exit(0),
        expect: { status: 'failed', finalText: null, failureClass: 'task' },
      },
    ],
  })) {
    it(check.name, check.run);
  }
});
