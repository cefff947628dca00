import { type JournalEvent, RUN_ERROR_EVENT, runNotFound } from '@baton/run';
import { parseCommandArguments, runIdArgument } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { formatUsd } from '../figures.js';
import { styles } from '../output.js';
import { LOCAL_OPTION, LOCAL_USAGE, openJournalForReading } from '../read-journal.js';
import { oneLine } from './runs.js';

export const command: Command = {
  name: 'events',
  summary: "Show a run's journal: every event, in order.",
  usage: [
    'Usage: baton events <run-id> [--local] [--json] [--config FILE]',
    '',
    "Prints a run's events in sequence order, readable while the run is in progress. Each stage",
    'entry is a control.directive.emitted event whose payload names the stage and',
    'extra.runtime_id (and, from this version on, why: first, retry, fallback, resume,',
    'session-resume); agent.process.started/exited record the process that ran it, with its',
    'failure class, tokens and cost. stage.fallback and stage.attempt say why another attempt',
    'ran and name the checkpoint it started from and the ref keeping what the previous one left',
    '(git diff <checkpoint_ref> <abandoned_ref>); stage.checkpoint names each snapshot;',
    'stage.session the harness session a resume continues.',
    'The text view shows each event on one line, long texts cut; --json has them whole, and',
    "`baton show <run-id>` tells the run with each stage's full output.",
    "In scale mode it reads the pool's journal: agent.process.* name the worker that ran the",
    'stage, workspace.prepared and workspace.result the folder or commit it worked on and left.',
    LOCAL_USAGE,
    '',
    'JSON: [{"seq", "type", "at", "payload"}]; a row that cannot be read has "corrupt" (why) and',
    'an empty payload.',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values, positionals } = parseCommandArguments('events', context.args, LOCAL_OPTION, {
      allowPositionals: true,
    });
    const runId = runIdArgument('events', positionals);
    const journal = await openJournalForReading(context, { local: values.local });
    if (journal === null) throw runNotFound(runId);
    // A reader that goes away (`baton events … | head`) ends the listing, not the process.
    const closed = () => context.stdout.closed;
    try {
      const run = await journal.findRun(runId);
      if (context.json) {
        // Streamed: a long run's events are never held in memory at once.
        context.stdout.jsonText('[');
        let first = true;
        for await (const event of journal.events(run.runId)) {
          if (closed()) break;
          const entry = {
            seq: event.seq,
            type: event.type,
            at: event.at,
            payload: event.payload,
            ...(event.corrupt ? { corrupt: event.corrupt } : {}),
          };
          context.stdout.jsonText(`${first ? '\n' : ',\n'}  ${JSON.stringify(entry)}`);
          first = false;
        }
        context.stdout.jsonText(first ? ']\n' : '\n]\n');
        return EXIT_OK;
      }
      const style = styles(context.color);
      context.stdout.write(`${style.bold(run.runId)}  ${oneLine(run.goal, 80)}\n`);
      let cut = false;
      const clip = (text: string, max: number) => {
        const line = oneLine(text, max);
        if (line.endsWith('…') && !text.replace(/\s+/g, ' ').trim().endsWith('…')) cut = true;
        return line;
      };
      for await (const event of journal.events(run.runId)) {
        if (closed()) break;
        context.stdout.write(
          `${String(event.seq).padStart(5)}  ${style.dim(event.at.slice(11, 23))}  ${event.type.padEnd(25)}  ${event.corrupt ? style.red(`✖ ${event.corrupt}`) : describe(event, clip)}\n`,
        );
      }
      if (cut) {
        context.stdout.write(
          style.dim(
            `Long texts are cut above (…): baton events ${run.runId} --json has them whole, and ` +
              `baton show ${run.runId} tells the run with each stage's full output.\n`,
          ),
        );
      }
      return EXIT_OK;
    } finally {
      await journal.close();
    }
  },
};

/**
 * One line saying what an event means. `clip` cuts a text the run produced (a message, an
 * error, an answer) to one line and notes that it did, so the view can say where it is whole.
 */
function describe(event: JournalEvent, clip: (text: string, max: number) => string): string {
  // biome-ignore lint/suspicious/noExplicitAny: journal payloads are JSON of many shapes; each field read here is only formatted into text.
  const payload = event.payload as Record<string, any>;
  switch (event.type) {
    case 'run.started':
      return `mission ${payload.mission?.name} · goal ${JSON.stringify(clip(String(payload.goal), 60))}`;
    case 'control.directive.emitted': {
      const extra = payload.extra ?? {};
      switch (payload.directive) {
        case 'dispatch': {
          const why =
            typeof extra.reason === 'string' && extra.reason !== 'first' ? `, ${extra.reason}` : '';
          const from = extra.fallback_from
            ? ` from ${extra.fallback_from.runtime_id} (${extra.fallback_from.failure_class})`
            : '';
          return `dispatch ${payload.stage} → ${extra.runtime_id} (attempt ${extra.attempt}${why}${from}${extra.backoff_ms ? `, after ${extra.backoff_ms}ms` : ''})`;
        }
        case 'ask_human':
          return `ask human: ${extra.question}`;
        default:
          return `${payload.directive}${extra.cause ? `: ${extra.cause}` : ''}`;
      }
    }
    case 'agent.process.started':
      return `${payload.stage} on ${payload.runtime_id}${payload.worker ? ` · worker ${payload.worker}` : ''} · pid ${payload.pid} · ${oneLine((payload.argv ?? []).join(' '), 80)}`;
    case 'workspace.prepared':
      return `${payload.stage} works in ${payload.path}${payload.base_commit ? ` from ${String(payload.base_commit).slice(0, 12)}` : payload.base ? ` from ${payload.base}` : ''}`;
    case 'workspace.result':
      return `${payload.stage} left ${payload.commit ? `${String(payload.commit).slice(0, 12)} (${payload.ref})` : payload.path}${payload.adopted ? ', adopted' : ''}`;
    case 'agent.process.exited': {
      const tokens = payload.usage?.total_tokens;
      const tools =
        typeof payload.tool_calls === 'number' ? ` · ${payload.tool_calls} tool calls` : '';
      const dropped =
        typeof payload.events_dropped === 'number' && payload.events_dropped > 0
          ? ` · ${payload.events_dropped} events past the journal's cap, not kept`
          : '';
      const cost =
        typeof payload.usage?.cost_usd === 'number'
          ? ` · ${formatUsd(payload.usage.cost_usd)}${payload.usage.cost_source ? ` (${payload.usage.cost_source})` : ''}`
          : payload.usage?.cost_source === null
            ? ' · cost unknown'
            : '';
      const why = payload.failure_class ? ` (${payload.failure_class})` : '';
      return (
        `${payload.stage} on ${payload.runtime_id} · ${payload.status}${why} · exit ${payload.exit_code ?? payload.signal ?? '-'} · ` +
        `${payload.duration_ms}ms${typeof tokens === 'number' ? ` · ${tokens} tokens` : ''}${cost}${tools}${dropped}` +
        `${payload.error ? ` · ${clip(payload.error, 80)}` : ''}`
      );
    }
    case 'runtime.event': {
      const inner = payload.event ?? {};
      const text = inner.text ?? inner.message ?? inner.name ?? inner.session_id ?? '';
      return `${payload.stage} ${inner.type}${text ? `: ${clip(String(text), 80)}` : ''}`;
    }
    case 'workspace.changed': {
      const files = payload.changes?.files;
      if (!Array.isArray(files)) return `${payload.stage}: files changed unknown`;
      const omitted = Number(payload.changes.omitted ?? 0);
      const count = files.length + omitted;
      return count === 0
        ? `${payload.stage} changed no files`
        : `${payload.stage} changed ${count} file${count === 1 ? '' : 's'}: ${oneLine(files.map((file: { path: string }) => file.path).join(', '), 80)}`;
    }
    case 'stage.ended':
      return `${payload.stage} ${payload.status}${payload.failure_class ? ` (${payload.failure_class})` : ''}${payload.error ? `: ${clip(payload.error.message, 80)}` : ''}`;
    case 'stage.session':
      return `${payload.stage} on ${payload.runtime_id} · session ${payload.session_id}`;
    case 'stage.checkpoint':
      return `${payload.stage} ${payload.kind === 'checkpoint' ? 'checkpoint' : `${payload.kind} (attempt ${payload.attempt})`} · ${payload.ref}`;
    case 'stage.fallback':
    case 'stage.attempt': {
      const from = payload.from
        ? `${payload.from} (${payload.class}: ${clip(String(payload.cause ?? ''), 60)}) → `
        : '';
      const refs = [
        payload.checkpoint_ref ? `from ${payload.checkpoint_ref}` : '',
        payload.abandoned_ref ? `kept ${payload.abandoned_ref}` : '',
        payload.session_id ? `session ${payload.session_id}` : '',
        payload.note ? clip(String(payload.note), 80) : '',
      ].filter((part) => part !== '');
      return `${payload.stage} ${payload.reason}: ${from}${payload.to} (attempt ${payload.attempt})${refs.length > 0 ? ` · ${refs.join(' · ')}` : ''}`;
    }
    case 'runtime.unhealthy':
    case 'run.notice':
      return clip(String(payload.text), 120);
    case 'verdict.recorded':
      return `${payload.outcome.toUpperCase()}${payload.reason ? `: ${payload.reason}` : ''}`;
    case 'human.asked':
      return String(payload.question);
    case 'human.answered':
      return `${payload.decision ?? 'approve'}: ${JSON.stringify(clip(String(payload.answer), 80))}`;
    case 'run.ended':
      return `${payload.status}${payload.cause ? `: ${payload.cause}` : ''}`;
    case 'run.interrupted':
      return String(payload.cause);
    case RUN_ERROR_EVENT:
      return `${payload.code}: ${clip(String(payload.message), 100)}`;
    case 'runtime.resolved':
      return `${payload.runtime_id} ${payload.version ?? 'version unknown'} at ${payload.path ?? '(no executable)'}`;
    default:
      return oneLine(JSON.stringify(payload), 100);
  }
}
