import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, createRedactor, REDACTED } from '@baton/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from './journal/journal.js';
import { currentProcess } from './journal/owner.js';
import { replayRun } from './replay.js';
import { RUN_ERROR_EVENT, recordRunError } from './run-error.js';
import { holdWriteLock } from './test-support/journal-trouble.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

function journalWithRun(): Journal {
  const directory = mkdtempSync(join(tmpdir(), 'baton-run-error-'));
  directories.push(directory);
  const journal = Journal.open(join(directory, 'journal.db'));
  journal.createRun(
    { runId: 'r1', goal: 'g', mission: 'deliver', configHash: 'h', owner: currentProcess() },
    [],
  );
  return journal;
}

describe('recordRunError', () => {
  const secret = 'gk-run-error-secret-123456';
  const redactor = createRedactor({ env: { GATEWAY_TOKEN: secret } });

  it('records a bug with its stack, redacted, as an annotation replay ignores', () => {
    const journal = journalWithRun();
    try {
      expect(recordRunError(journal, 'r1', new TypeError(`boom ${secret}`), redactor)).toBe(true);
      const [event] = [...journal.events('r1')];
      expect(event).toMatchObject({
        type: RUN_ERROR_EVENT,
        payload: { code: 'INTERNAL', message: `boom ${REDACTED}`, pid: process.pid },
      });
      expect(String(event!.payload.stack)).toContain('TypeError');
      expect(JSON.stringify(event)).not.toContain(secret);
      expect(replayRun(journal, 'r1').events).toBe(1);
    } finally {
      journal.close();
    }
  });

  it("keeps a BatonError's code and leaves out its stack", () => {
    const journal = journalWithRun();
    try {
      recordRunError(journal, 'r1', new BatonError('RUN_STATE', 'disk full'), redactor);
      expect([...journal.events('r1')][0]!.payload).toMatchObject({
        code: 'RUN_STATE',
        message: 'disk full',
        stack: null,
      });
    } finally {
      journal.close();
    }
  });

  it('answers false, never throws, when the journal cannot take the event', () => {
    const journal = journalWithRun();
    expect(recordRunError(journal, 'no-such-run', new Error('x'), redactor)).toBe(false);
    journal.close();
    expect(recordRunError(journal, 'r1', new Error('x'), redactor)).toBe(false);
  });

  it('does not wait out the lock again to record that the journal was locked', async () => {
    const journal = journalWithRun();
    const { holder, held } = holdWriteLock(journal.path);
    try {
      await held;
      const started = performance.now();
      const locked = new BatonError('JOURNAL_LOCKED', `The journal ${journal.path} is locked`);
      expect(recordRunError(journal, 'r1', locked, redactor)).toBe(false);
      // The journal waits 10 s for a lock; this did not wait at all.
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      holder.kill('SIGKILL');
      journal.close();
    }
  });
});
