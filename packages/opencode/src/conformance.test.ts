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
        name: 'opencode 1.18.33 HTTP 401',
        lines: lines('http-401'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null, sessionId: 'ses_e0012afabffec2A7MPea0NvgAY' },
      },
      {
        name: 'opencode 1.18.33 HTTP 500',
        lines: lines('http-500'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null },
      },
      {
        name: 'opencode 1.18.33 connection refused',
        lines: lines('connection-refused'),
        exit: exit(1),
        expect: { status: 'failed', finalText: null },
      },
      {
        name: 'opencode 1.18.33 permission rejected (exit 0)',
        lines: lines('permission-rejected'),
        exit: exit(0),
        expect: { status: 'failed', finalText: null },
      },
    ],
  })) {
    it(check.name, check.run);
  }
});
