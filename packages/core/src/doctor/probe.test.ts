import { describe, expect, it } from 'vitest';
import { UNKNOWN_USAGE } from '../adapter/usage.js';
import type { DoctorContext, OutputDecoder, StageRequest } from '../adapter/v1/spec.js';
import { PROBE_PROMPT, runProbe } from './probe.js';

const context: DoctorContext = {
  settings: {},
  profile: null,
  env: { PATH: '/usr/bin:/bin' },
  cwd: '/',
  stages: ['evaluate'],
  signal: new AbortController().signal,
  results: {},
};

/** Decodes `ok <text>` / `err <kind>` lines printed by the probed command. */
function decoder(): OutputDecoder {
  let text: string | null = null;
  let failure: string | null = null;
  return {
    push(line) {
      if (line.startsWith('ok ')) text = line.slice(3);
      if (line.startsWith('err ')) failure = line.slice(4);
      return [];
    },
    finish(exit) {
      const failed = failure !== null || exit.exitCode !== 0;
      return {
        status: failed ? 'failed' : 'succeeded',
        finalText: text,
        sessionId: null,
        usage: UNKNOWN_USAGE,
        error: failed
          ? {
              message: failure ?? `exit ${exit.exitCode}`,
              kind: failure === 'auth' ? 'auth' : 'unknown',
              status: null,
              retryable: false,
            }
          : null,
      };
    },
  };
}

function probe(script: string, timeoutMs = 5_000) {
  const seen: StageRequest[] = [];
  const result = runProbe({
    context,
    buildCommand: (request) => {
      seen.push(request);
      return {
        file: '/bin/sh',
        args: ['-c', script],
        env: {},
        cwd: request.cwd,
        stdin: request.prompt,
      };
    },
    createDecoder: decoder,
    label: 'tool run',
    timeoutMs,
    remediation: (kind) => `fix ${kind}`,
  });
  return { result, seen };
}

describe('runProbe', () => {
  it('passes only when the runtime really answered, quoting the reply', async () => {
    const { result, seen } = probe('read prompt; echo "ok got: $prompt"');
    const check = await result;
    expect(check.status).toBe('pass');
    expect(check.summary).toMatch(
      /^a real `tool run` answered "got: Reply with the single word: ready" in \d+(\.\d)?s$/,
    );
    expect(seen[0]).toMatchObject({
      prompt: PROBE_PROMPT,
      access: 'read-only',
      contract: '',
      stage: 'evaluate',
    });
  });

  it('fails an error reply by its kind, with the remediation for that kind', async () => {
    const check = await probe('echo "err auth"; exit 0').result;
    expect(check).toEqual({ status: 'fail', summary: 'auth error: auth', remediation: 'fix auth' });
  });

  it('fails a probe that does not finish in time', async () => {
    const check = await probe('sleep 30', 300).result;
    expect(check).toEqual({
      status: 'fail',
      summary: '`tool run` did not finish within 0.3s',
      remediation: 'fix timeout',
    });
  });
});
