/**
 * The contract every journal store keeps (`JournalStore`), as one suite that each store runs:
 * the SQLite journal of `@baton/run` and the PostgreSQL journal of `@baton/scale` alike. It is
 * framework-neutral, like core's adapter conformance suite: each case is a name and a function
 * that throws on failure, so it plugs into any test runner with one loop:
 *
 *   for (const check of journalContractCases(createSubject)) it(check.name, check.run);
 *
 * `createSubject` makes a fresh, empty journal for one case, and the means to reach its
 * storage past the store (to prove what the store refuses or tolerates); the suite closes
 * every store it opened and disposes of the subject, even when a case fails.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { BatonError } from '@baton/core';
import {
  displayStatus,
  type JournalEvent,
  type NewEvent,
  type NewRun,
  type RunRecord,
} from '../journal/journal.js';
import { currentProcess, type ProcessIdentity } from '../journal/owner.js';
import type { JournalStore } from '../journal/store.js';

export interface JournalContractSubject {
  /** Opens a new store on this case's journal (each call a separate connection or handle). */
  open(options?: { readonly readOnly?: boolean }): Promise<JournalStore>;
  /** Changes one stored event's type straight in the storage; the storage must refuse. */
  updateEventInStorage(runId: string, seq: number): Promise<void>;
  /** Deletes every stored event straight in the storage; the storage must refuse. */
  deleteEventsInStorage(): Promise<void>;
  /** Overwrites a stored payload, as a broken tool or disk would (past the append-only guard). */
  damagePayload(runId: string, seq: number, text: string): Promise<void>;
  /** Marks the journal as written by a newer Baton, whose schema this one cannot read. */
  markNewerSchema(): Promise<void>;
  /** Removes the journal and everything the subject made. */
  dispose(): Promise<void>;
}

export interface JournalContractCase {
  readonly name: string;
  run(): Promise<void>;
}

/** A process that does not exist (above Linux's largest pid). */
const GONE: ProcessIdentity = { pid: 2 ** 22 + 17, start: null };

const newRun = (runId: string, owner: ProcessIdentity = currentProcess()): NewRun => ({
  runId,
  goal: 'g',
  mission: 'deliver',
  configHash: 'h',
  owner,
});

const started: NewEvent[] = [{ type: 'run.started', payload: {} }];

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const seqs = (events: readonly { seq: number }[]) => events.map((event) => event.seq);

/** Asserts that `promise` rejects with a BatonError of `code` whose message matches. */
async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await rejects(promise, (error: unknown) => {
    ok(BatonError.isInstance(error), `expected a BatonError, got ${String(error)}`);
    strictEqual(error.code, code, error.message);
    if (message) ok(message.test(error.message), `"${error.message}" does not match ${message}`);
    return true;
  });
}

type Body = (journal: {
  open(options?: { readonly readOnly?: boolean }): Promise<JournalStore>;
  subject: JournalContractSubject;
}) => Promise<void>;

export function journalContractCases(
  createSubject: () => Promise<JournalContractSubject>,
): JournalContractCase[] {
  const define = (name: string, body: Body): JournalContractCase => ({
    name,
    run: async () => {
      const subject = await createSubject();
      const opened: JournalStore[] = [];
      try {
        await body({
          subject,
          open: async (options) => {
            const store = await subject.open(options);
            opened.push(store);
            return store;
          },
        });
      } finally {
        for (const store of opened) await store.close();
        await subject.dispose();
      }
    },
  });

  return [
    define('numbers events per run from 1, without gaps, across appends', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('a'), [{ type: 'run.started', payload: { n: 1 } }]);
      await writer.createRun(newRun('b'), [{ type: 'run.started', payload: { n: 1 } }]);
      const appended = await writer.append('a', [
        { type: 'x', payload: { n: 2 } },
        { type: 'y', payload: { n: 3 } },
      ]);
      deepStrictEqual(seqs(appended), [2, 3]);
      await writer.append('b', [{ type: 'x', payload: { n: 2 } }]);
      await writer.append('a', [{ type: 'z', payload: { nested: { snake_case: true } } }], {
        status: 'waiting',
        stateHash: 'abc',
      });
      const events = await collect(writer.events('a'));
      deepStrictEqual(
        events.map((event) => [event.seq, event.type]),
        [
          [1, 'run.started'],
          [2, 'x'],
          [3, 'y'],
          [4, 'z'],
        ],
      );
      deepStrictEqual(seqs(await collect(writer.events('b'))), [1, 2]);
      deepStrictEqual(seqs(await collect(writer.events('a', 2))), [3, 4]);
      deepStrictEqual(events[3]!.payload, { nested: { snake_case: true } });
      ok(events.every((event) => event.runId === 'a' && event.corrupt === undefined));
      const run = (await writer.getRun('a'))!;
      deepStrictEqual(
        {
          runId: run.runId,
          status: run.status,
          lastSeq: run.lastSeq,
          stateHash: run.stateHash,
          goal: run.goal,
          mission: run.mission,
          configHash: run.configHash,
          cause: run.cause,
        },
        {
          runId: 'a',
          status: 'waiting',
          lastSeq: 4,
          stateHash: 'abc',
          goal: 'g',
          mission: 'deliver',
          configHash: 'h',
          cause: null,
        },
      );
      strictEqual(await writer.getRun('missing'), undefined);
    }),

    define('refuses to change or delete events in the storage', async ({ open, subject }) => {
      const writer = await open();
      await writer.createRun(newRun('a'), [
        { type: 'run.started', payload: {} },
        { type: 'x', payload: { kept: true } },
      ]);
      await rejects(subject.updateEventInStorage('a', 2), /append-only/);
      await rejects(subject.deleteEventsInStorage(), /append-only/);
      const events = await collect(writer.events('a'));
      deepStrictEqual(
        events.map((event) => [event.seq, event.type, event.payload]),
        [
          [1, 'run.started', {}],
          [2, 'x', { kept: true }],
        ],
      );
    }),

    define('lets a read-only reader follow a run while it is written', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('a'), started);
      const reader = await open({ readOnly: true });
      strictEqual(reader.readOnly, true);
      strictEqual(writer.readOnly, false);
      strictEqual((await collect(reader.events('a'))).length, 1);
      await writer.append('a', [{ type: 'more', payload: { i: 1 } }]);
      deepStrictEqual(
        (await collect(reader.events('a'))).map((event) => event.type),
        ['run.started', 'more'],
      );
      strictEqual((await reader.getRun('a'))!.lastSeq, 2);
      await rejects(reader.append('a', [{ type: 'x', payload: {} }]), /read-only/);
      await rejects(reader.createRun(newRun('b'), started), /read-only/);
      await rejects(
        reader.claim('a', currentProcess(), () => {}),
        /read-only/,
      );
      await rejects(reader.release('a', currentProcess()), /read-only/);
      strictEqual((await writer.getRun('a'))!.lastSeq, 2);
      strictEqual(await writer.getRun('b'), undefined);
    }),

    define('rolls back a whole batch when one part fails', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('a'), started);
      await rejectsWith(
        writer.append('missing', [{ type: 'x', payload: {} }]),
        'RUN_NOT_FOUND',
        /No run "missing"/,
      );
      await rejects(writer.createRun(newRun('a'), [{ type: 'again', payload: {} }]));
      // The second event of this batch cannot be written (a BigInt is not JSON): the first is not kept either.
      await rejects(
        writer.append('a', [
          { type: 'fine', payload: { n: 1 } },
          { type: 'broken', payload: { n: 10n } },
        ]),
      );
      const run = (await writer.getRun('a'))!;
      strictEqual(run.lastSeq, 1);
      strictEqual(run.status, 'running');
      deepStrictEqual(
        (await collect(writer.events('a'))).map((event) => event.type),
        ['run.started'],
      );
      await rejects(
        writer.claim('a', { pid: 1, start: null }, () => {
          throw new BatonError('RUN_STATE', 'not now');
        }),
        /not now/,
      );
      strictEqual((await writer.getRun('a'))!.owner?.pid, process.pid);
    }),

    define('finds runs by unambiguous prefix, and lists them newest first', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('20260101-000000-aaaaaa'), started);
      await writer.createRun(newRun('20260101-000000-aabbbb'), started);
      await writer.createRun(newRun('20260202-000000-cccccc'), started);
      strictEqual((await writer.findRun('20260202')).runId, '20260202-000000-cccccc');
      strictEqual((await writer.findRun('20260101-000000-aab')).runId, '20260101-000000-aabbbb');
      strictEqual((await writer.findRun('20260101-000000-aaaaaa')).runId, '20260101-000000-aaaaaa');
      await rejectsWith(writer.findRun('20260101'), 'RUN_NOT_FOUND', /more than one run/);
      await rejectsWith(writer.findRun('nope'), 'RUN_NOT_FOUND');
      deepStrictEqual(
        (await writer.listRuns()).map((run) => run.runId),
        ['20260202-000000-cccccc', '20260101-000000-aabbbb', '20260101-000000-aaaaaa'],
      );
      deepStrictEqual(
        (await writer.listRuns(2)).map((run) => run.runId),
        ['20260202-000000-cccccc', '20260101-000000-aabbbb'],
      );
    }),

    define(
      'takes a prefix literally: "%", "_" and "\\" match only themselves',
      async ({ open }) => {
        const writer = await open();
        for (const runId of ['a_b', 'axb', 'c%d', 'cxd', 'e\\f', 'e\\g']) {
          await writer.createRun(newRun(runId), started);
        }
        strictEqual((await writer.findRun('a_')).runId, 'a_b');
        strictEqual((await writer.findRun('c%')).runId, 'c%d');
        strictEqual((await writer.findRun('e\\f')).runId, 'e\\f');
        await rejectsWith(writer.findRun('e\\'), 'RUN_NOT_FOUND', /more than one run/);
        await rejectsWith(writer.findRun('%'), 'RUN_NOT_FOUND');
        await rejectsWith(writer.findRun('_'), 'RUN_NOT_FOUND');
      },
    ),

    define('never takes an empty id as a prefix of every run', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('20260101-000000-aaaaaa'), started);
      for (const empty of ['', '  ']) {
        await rejectsWith(writer.findRun(empty), 'USAGE', /empty/);
      }
    }),

    define('reports a running run whose owner is gone as interrupted', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('a', GONE), started);
      const run = (await writer.getRun('a'))!;
      strictEqual(run.status, 'running');
      strictEqual(displayStatus(run), 'interrupted');
      await writer.createRun(newRun('b'), started);
      strictEqual(displayStatus((await writer.getRun('b'))!), 'running');
    }),

    define('refuses a journal written by a newer Baton', async ({ open, subject }) => {
      const writer = await open();
      await writer.createRun(newRun('a'), started);
      await writer.close();
      await subject.markNewerSchema();
      await rejectsWith(open(), 'RUN_STATE', /newer Baton/);
      await rejectsWith(open({ readOnly: true }), 'RUN_STATE', /newer Baton/);
    }),

    define(
      'reports a row whose payload is not a JSON object by run and seq; the others stay readable',
      async ({ open, subject }) => {
        const writer = await open();
        await writer.createRun(
          newRun('a'),
          [0, 1, 2, 3].map((index) => ({ type: 'note', payload: { index } })),
        );
        await subject.damagePayload('a', 2, '{"index": 1');
        await subject.damagePayload('a', 3, '[1, 2]');
        const reader = await open({ readOnly: true });
        const events = await collect(reader.events('a'));
        deepStrictEqual(
          events.map((event) => [event.seq, event.payload]),
          [
            [1, { index: 0 }],
            [2, {}],
            [3, {}],
            [4, { index: 3 }],
          ],
        );
        strictEqual(events[0]!.corrupt, undefined);
        ok(
          /^journal row 2 of run a is corrupt: its payload is not JSON \(.+\)$/.test(
            events[1]!.corrupt ?? '',
          ),
          events[1]!.corrupt,
        );
        strictEqual(
          events[2]!.corrupt,
          'journal row 3 of run a is corrupt: its payload is not a JSON object',
        );
        strictEqual(events[3]!.corrupt, undefined);
        deepStrictEqual(await reader.corruptRows('a'), [
          { seq: 2, type: 'note' },
          { seq: 3, type: 'note' },
        ]);
        const raw = await collect(reader.rawEvents('a'));
        deepStrictEqual(
          raw.map((event) => event.payload),
          ['{"index":0}', '{"index": 1', '[1, 2]', '{"index":3}'],
        );
        // The journal goes on after the damage.
        deepStrictEqual(seqs(await writer.append('a', [{ type: 'note', payload: {} }])), [5]);
      },
    ),

    define(
      'tells listeners of each committed append, in order, and never of a failed one',
      async ({ open }) => {
        const writer = await open();
        const other = await open();
        const heard: JournalEvent[][] = [];
        const stop = writer.onAppend((events) => heard.push([...events]));
        await writer.createRun(newRun('a'), started);
        await writer.append('a', [
          { type: 'x', payload: { n: 1 } },
          { type: 'y', payload: { n: 2 } },
        ]);
        await rejects(writer.append('missing', [{ type: 'x', payload: {} }]));
        // Another store's appends are not this store's to tell.
        await other.append('a', [{ type: 'elsewhere', payload: {} }]);
        deepStrictEqual(
          heard.map((events) => events.map((event) => [event.runId, event.seq, event.type])),
          [
            [['a', 1, 'run.started']],
            [
              ['a', 2, 'x'],
              ['a', 3, 'y'],
            ],
          ],
        );
        deepStrictEqual(heard[1]![1]!.payload, { n: 2 });
        stop();
        await writer.append('a', [{ type: 'unheard', payload: {} }]);
        strictEqual(heard.length, 2);
      },
    ),

    define('claims a run atomically, and releases only its own claim', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('a', GONE), started);
      const taker: ProcessIdentity = currentProcess();
      const seen: (ProcessIdentity | null)[] = [];
      const claimed = await writer.claim('a', taker, (run) => {
        seen.push(run.owner === null ? null : { pid: run.owner.pid, start: run.owner.start });
      });
      deepStrictEqual(seen, [GONE]);
      deepStrictEqual(ownerOf(claimed), taker);
      deepStrictEqual(ownerOf((await writer.getRun('a'))!), taker);

      // Someone else's release leaves the claim alone.
      await writer.release('a', GONE);
      deepStrictEqual(ownerOf((await writer.getRun('a'))!), taker);
      await writer.release('a', taker);
      strictEqual((await writer.getRun('a'))!.owner, null);

      await writer.claim('a', taker, () => {});
      await writer.append('a', [{ type: 'paused', payload: {} }], {
        status: 'waiting',
        owner: null,
      });
      strictEqual((await writer.getRun('a'))!.owner, null);
      await rejectsWith(
        writer.claim('missing', taker, () => {}),
        'RUN_NOT_FOUND',
      );
    }),

    define('applies a run update in the append that carries it', async ({ open }) => {
      const writer = await open();
      await writer.createRun(newRun('a'), started, { status: 'running', stateHash: 's1' });
      const created = (await writer.getRun('a'))!;
      strictEqual(created.stateHash, 's1');
      await new Promise((resolve) => setTimeout(resolve, 5));
      await writer.append('a', [{ type: 'failed', payload: {} }], {
        status: 'failed',
        cause: 'stage execute failed',
        stateHash: 's2',
      });
      let run = (await writer.getRun('a'))!;
      deepStrictEqual(
        [run.status, run.cause, run.stateHash],
        ['failed', 'stage execute failed', 's2'],
      );
      strictEqual(run.createdAt, created.createdAt);
      ok(run.updatedAt > created.updatedAt, `${run.updatedAt} after ${created.updatedAt}`);
      // Fields the update leaves out stay as they were; `cause: null` clears the cause.
      await writer.append('a', [{ type: 'note', payload: {} }], { cause: null });
      run = (await writer.getRun('a'))!;
      deepStrictEqual(
        [run.status, run.cause, run.stateHash, run.lastSeq],
        ['failed', null, 's2', 3],
      );
    }),

    define(
      'streams a long run in order, and two readings at once do not disturb each other',
      async ({ open }) => {
        const writer = await open();
        await writer.createRun(newRun('a'), started);
        const total = 1_200;
        for (let from = 2; from <= total; from += 100) {
          const batch = Array.from({ length: Math.min(100, total - from + 1) }, (_, index) => ({
            type: 'tick',
            payload: { n: from + index },
          }));
          await writer.append('a', batch);
        }
        const reader = await open({ readOnly: true });
        const first = reader.events('a')[Symbol.asyncIterator]();
        const second = reader.rawEvents('a', 600)[Symbol.asyncIterator]();
        const firstSeqs: number[] = [];
        const secondSeqs: number[] = [];
        while (true) {
          const [a, b] = await Promise.all([first.next(), second.next()]);
          if (!a.done) {
            firstSeqs.push(a.value.seq);
            if (a.value.seq > 1) strictEqual(a.value.payload.n, a.value.seq);
          }
          if (!b.done) secondSeqs.push(b.value.seq);
          if (a.done && b.done) break;
        }
        deepStrictEqual(
          firstSeqs,
          Array.from({ length: total }, (_, index) => index + 1),
        );
        deepStrictEqual(
          secondSeqs,
          Array.from({ length: total - 600 }, (_, index) => index + 601),
        );
        // Stopping a reading early is fine, and the store stays usable.
        for await (const event of reader.events('a')) if (event.seq === 3) break;
        strictEqual((await reader.getRun('a'))!.lastSeq, total);
      },
    ),

    define(
      'keeps text exactly: any Unicode, quotes, NUL inside a payload, the time given',
      async ({ open }) => {
        const writer = await open();
        const goal = `Fix "the" bug: it's ✓ 🚀 — 日本語\nsecond line\t\\`;
        await writer.createRun({ ...newRun('a'), goal, mission: 'deliver-2' }, [
          {
            type: 'text',
            at: '2026-11-21T21:35:01.123Z',
            payload: {
              nul: 'before\u0000after',
              lone: '\ud800',
              quote: '\'"',
              emoji: '🚀',
              number: 1.5,
              list: [null, true, 'x'],
            },
          },
        ]);
        const run = (await writer.getRun('a'))!;
        strictEqual(run.goal, goal);
        strictEqual(run.mission, 'deliver-2');
        const [event] = await collect(writer.events('a'));
        strictEqual(event!.at, '2026-11-21T21:35:01.123Z');
        deepStrictEqual(event!.payload, {
          nul: 'before\u0000after',
          lone: '\ud800',
          quote: '\'"',
          emoji: '🚀',
          number: 1.5,
          list: [null, true, 'x'],
        });
        ok(!Number.isNaN(Date.parse(run.createdAt)), run.createdAt);
      },
    ),
  ];
}

function ownerOf(run: RunRecord): ProcessIdentity | null {
  return run.owner === null ? null : { pid: run.owner.pid, start: run.owner.start };
}
