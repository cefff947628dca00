import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, secretValues } from './redact.js';

describe('redactor', () => {
  const env = {
    GATEWAY_KEY: 'gk-live-1234567890',
    MY_SERVICE_TOKEN: 'tok_abcdefghijkl',
    DB_PASSWORD: 'hunter2hunter2',
    MAX_TOKENS: '8000',
    HOME: '/home/someone',
  };
  const config = { runtimes: { codex: { apiKeyEnv: 'GATEWAY_KEY' } } };

  it('collects the values of declared and secret-looking variables only', () => {
    expect(secretValues({ env, config }).sort()).toEqual([
      'gk-live-1234567890',
      'hunter2hunter2',
      'tok_abcdefghijkl',
    ]);
  });

  it('removes secrets from text and nested values, also JSON-escaped', () => {
    const redactor = createRedactor({ env, config, extra: ['we"ird\\secret'] });
    expect(redactor.text('key=gk-live-1234567890 and tok_abcdefghijkl')).toBe(
      `key=${REDACTED} and ${REDACTED}`,
    );
    expect(redactor.value({ a: ['x hunter2hunter2 y', 3], b: { c: null } })).toEqual({
      a: [`x ${REDACTED} y`, 3],
      b: { c: null },
    });
    expect(redactor.text(JSON.stringify({ v: 'we"ird\\secret' }))).toBe(`{"v":"${REDACTED}"}`);
    expect(redactor.text('sk-ant-abcdefghijklmnopqrstuv')).toBe(REDACTED);
    expect(redactor.text('Authorization: Bearer abcdefghijklmnop')).toBe(
      `Authorization: Bearer ${REDACTED}`,
    );
  });

  it('redacts secret arguments in argv', () => {
    const redactor = createRedactor({ env: {}, config: { runtimes: {} } });
    expect(
      redactor.argv(
        [
          'codex',
          '--api-key',
          'plain-value-1',
          '--token=abc',
          '-H',
          'Authorization: Basic dXNlcjpwYXNz',
          '-c',
          'providers.x.bearer_token=zzz',
          'marked',
          '--model',
          'gpt',
        ],
        ['marked'],
      ),
    ).toEqual([
      'codex',
      '--api-key',
      REDACTED,
      `--token=${REDACTED}`,
      '-H',
      `Authorization: ${REDACTED}`,
      '-c',
      `providers.x.bearer_token=${REDACTED}`,
      REDACTED,
      '--model',
      'gpt',
    ]);
  });

  it('leaves values without secrets untouched (same object)', () => {
    const redactor = createRedactor({ env: {}, config: { runtimes: {} } });
    const value = { text: 'nothing secret here' };
    expect(redactor.value(value)).toBe(value);
  });
});
