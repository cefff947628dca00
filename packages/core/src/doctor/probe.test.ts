import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNKNOWN_USAGE } from '../adapter/usage.js';
import type { DoctorContext, OutputDecoder, StageRequest } from '../adapter/v2/spec.js';
import { SESSION_READY } from '../test-support/session-helper.js';
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
              failureClass: failure === 'auth' ? 'auth' : 'task',
              retryAfterMs: null,
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

  it('answers at once when the runtime leaves a helper in a new session holding stdout', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'baton-probe-test-'));
    const pidFile = join(directory, 'helper.pid');
    const started = performance.now();
    const check = await probe(
      `setsid sleep 25 & ${SESSION_READY} echo $h > ${pidFile}; echo "ok ready"`,
      20_000,
    ).result;
    const elapsed = performance.now() - started;
    const helper = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(check.status).toBe('pass');
      expect(check.summary).toMatch(/answered "ready"/);
      // It lives 25 s and still runs: the probe did not wait for it.
      expect(running(helper)).toBe(true);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      try {
        process.kill(-helper, 'SIGKILL');
      } catch {}
      rmSync(directory, { recursive: true, force: true });
    }
  }, 40_000);
});

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}
