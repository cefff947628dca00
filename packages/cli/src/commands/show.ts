import { isStage, STAGES, type Stage } from '@baton/core';
import {
  type AttemptStory,
  type HumanStory,
  type RunStory,
  readStoredRunStory,
  runNotFound,
  type StageStory,
} from '@baton/run';
import { parseCommandArguments, runIdArgument } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { formatDuration, formatUsage, plural } from '../figures.js';
import { nextStep } from '../next-step.js';
import { styles, usageError, writeJson } from '../output.js';
import { LOCAL_OPTION, LOCAL_USAGE, openJournalForReading } from '../read-journal.js';

export const command: Command = {
  name: 'show',
  summary: "Tell a run's whole story: every stage's attempts, results and full output.",
  ownOptions: ['stage'],
  usage: [
    'Usage: baton show <run-id> [--stage STAGE [--text]] [--local] [--json] [--config FILE]',
    '',
    "Tells a run's whole story from its journal: each stage with its runtime and model, its",
    'attempts (why each one ran — a retry, a fallback from which runtime and why, a resume — and',
    'why each one failed, its tokens and cost, and the ref keeping what a failed one left), the',
    "stage's checkpoint ref, duration, tokens and cost, tool calls, verdict and reason, the",
    'files it changed (in a git work tree) and its full final text; each human step with its',
    'question, decision and answer. A unique prefix of the run id is enough.',
    '',
    '  --stage STAGE   only that stage (each time it ran, when the run looped)',
    "  --text          with --stage: only the stage's final text, exactly as the runtime wrote",
    '                  it (redacted), for pipes: baton show <run-id> --stage execute --text > out.md',
    LOCAL_USAGE,
    '',
    "In scale mode it reads the pool's journal: each attempt names the worker that ran it.",
    '',
    'JSON: {"runId", "status", "cause", "goal", "mission", "createdAt", "updatedAt", "usage",',
    '"steps": [{"kind": "stage", "step", "stage", "loop", "runtime", "model", "status", "durationMs",',
    '"usage", "toolCalls", "verdict", "changes", "finalText", "attempts": [...]} | {"kind": "human",',
    '"step", "question", "decision", "answer", "via"}]}',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values, positionals } = parseCommandArguments(
      'show',
      context.args,
      { stage: { type: 'string', value: 'STAGE' }, text: { type: 'boolean' }, ...LOCAL_OPTION },
      { allowPositionals: true },
    );
    const runId = runIdArgument('show', positionals);
    const stage = values.stage === undefined ? null : stageArgument(values.stage);
    if (values.text === true && stage === null)
      throw usageError("show: --text prints one stage's final text; name it with --stage STAGE.");
    if (values.text === true && context.json)
      throw usageError('show: --text and --json are two different outputs; choose one.');
    const journal = await openJournalForReading(context, { local: values.local });
    if (journal === null) throw runNotFound(runId);
    let story: RunStory;
    try {
      story = await readStoredRunStory(journal, (await journal.findRun(runId)).runId);
    } finally {
      await journal.close();
    }
    const steps =
      stage === null
        ? story.steps
        : story.steps.filter((step) => step.kind === 'stage' && step.stage === stage);
    if (stage !== null && steps.length === 0) {
      const ran = [
        ...new Set(story.steps.flatMap((step) => (step.kind === 'stage' ? [step.stage] : []))),
      ];
      throw usageError(
        `show: the ${stage} stage did not run in run ${story.runId}` +
          (ran.length > 0 ? ` (stages that ran: ${ran.join(', ')}).` : ' (no stage ran).'),
      );
    }
    if (values.text === true) {
      const latest = [...(steps as StageStory[])].reverse().find((step) => step.finalText !== null);
      const text = latest?.finalText ?? '';
      context.stdout.write(text);
      if (context.stdout.isTTY && !text.endsWith('\n')) context.stdout.write('\n');
      return EXIT_OK;
    }
    if (context.json) {
      writeJson(context, stage === null ? story : { ...story, steps });
      return EXIT_OK;
    }
    context.stdout.write(render(story, steps, context.color));
    return EXIT_OK;
  },
};

function stageArgument(value: string): Stage {
  const name = value.trim().toLowerCase();
  if (isStage(name)) return name;
  throw usageError(`show: --stage takes a stage, one of ${STAGES.join(', ')} (got "${value}").`);
}

function render(story: RunStory, steps: RunStory['steps'], color: boolean): string {
  const style = styles(color);
  const status =
    story.status === 'succeeded'
      ? style.green(story.status)
      : story.status === 'failed' || story.status === 'rejected'
        ? style.red(story.status)
        : style.yellow(story.status);
  const lines = [
    `Run ${style.bold(story.runId)} · ${status} · mission ${story.mission}`,
    `Goal: ${story.goal}`,
    `Started ${story.createdAt.slice(0, 19).replace('T', ' ')} UTC · last event ${story.updatedAt.slice(0, 19).replace('T', ' ')} UTC`,
  ];
  if (story.cause !== null) lines.push(`Cause: ${story.cause}`);
  lines.push(`Usage: ${formatUsage(story.usage)}`);
  const out = [`${lines.join('\n')}\n`];
  for (const step of steps) {
    out.push('\n');
    out.push(step.kind === 'human' ? renderHuman(step, style) : renderStage(step, style));
  }
  const next = nextStepOf(story);
  if (next !== null) out.push(`\nNext: ${next}\n`);
  return out.join('');
}

function renderStage(step: StageStory, style: ReturnType<typeof styles>): string {
  const model = step.model === null ? '' : ` (${step.model})`;
  // On a pool, the worker of its latest attempt (each attempt says its own below).
  const worker = step.attempts.at(-1)?.worker ?? null;
  const head = [
    `${style.bold(`${step.step + 1} ${step.stage}`)} · ${style.cyan(step.runtime)}${model}`,
    ...(worker === null ? [] : [`worker ${worker}`]),
    ...(step.loop > 0 ? [`loop ${step.loop}`] : []),
    statusText(step.status, style),
    formatDuration(step.durationMs),
    formatUsage(step.usage),
    plural(step.toolCalls, 'tool call'),
  ].join(' · ');
  const lines = [head];
  if (
    step.attempts.length > 1 ||
    step.attempts.some((attempt) => attempt.status !== 'succeeded' || attempt.fallbackFrom !== null)
  ) {
    for (const attempt of step.attempts) lines.push(...attemptLines(attempt));
  }
  const checkpoint = step.attempts.find((attempt) => attempt.checkpointRef !== null)?.checkpointRef;
  if (checkpoint !== undefined) lines.push(`  checkpoint: ${checkpoint}`);
  const dropped = step.attempts.reduce((sum, attempt) => sum + attempt.eventsDropped, 0);
  if (dropped > 0)
    lines.push(
      `  ${style.yellow(`${plural(dropped, 'runtime event')} past the journal's cap, not kept`)}`,
    );
  if (step.verdict !== null) {
    lines.push(
      step.verdict.outcome === 'pass'
        ? `  verdict: ${style.green('PASS')}`
        : step.verdict.outcome === 'fail'
          ? `  verdict: ${style.red('FAIL')} — ${step.verdict.reason}`
          : `  verdict: ${style.red('none')} — ${step.verdict.reason}`,
    );
  }
  lines.push(`  files changed: ${filesText(step)}`);
  if (step.finalText === null) {
    lines.push(`  ${style.dim('(no final text)')}`);
    return `${lines.join('\n')}\n`;
  }
  const text = step.finalText.replace(/\s+$/, '');
  const count = text === '' ? 0 : text.split('\n').length;
  lines.push(`  final text (${plural(count, 'line')}):`);
  return `${lines.join('\n')}\n${text}\n${style.dim('  ── end of final text ──')}\n`;
}

/**
 * `attempt 2 on claude-code (opus), a fallback from codex (quota_exhausted): succeeded · 12s ·
 * 1,234 tokens · $0.0123`, then where what a failed attempt left is kept.
 */
function attemptLines(attempt: AttemptStory): string[] {
  const why = attempt.failureClass ?? attempt.errorKind;
  const model = attempt.model === null ? '' : ` (${attempt.model})`;
  const reason =
    attempt.fallbackFrom !== null
      ? `, a fallback from ${attempt.fallbackFrom.runtime}${attempt.fallbackFrom.failureClass ? ` (${attempt.fallbackFrom.failureClass})` : ''}`
      : attempt.reason !== null && attempt.reason !== 'first'
        ? `, a ${attempt.reason}`
        : '';
  const lines = [
    `  attempt ${attempt.attempt} on ${attempt.runtime}${model}${attempt.worker === null ? '' : ` (worker ${attempt.worker})`}${reason}: ${attempt.status}` +
      (why !== null && attempt.status === 'failed' ? ` (${why})` : '') +
      ` · ${formatDuration(attempt.durationMs)} · ${formatUsage(attempt.usage)}` +
      (attempt.error !== null ? ` — ${attempt.error}` : ''),
  ];
  if (attempt.abandonedRef !== null) lines.push(`    what it left: ${attempt.abandonedRef}`);
  return lines;
}

function filesText(step: StageStory): string {
  if (step.changes === null) return 'unknown (not a git work tree, or not recorded)';
  if (step.changes.files.length === 0) return 'none';
  const files = step.changes.files.map((file) => {
    const counts =
      file.added === null || file.removed === null ? '' : ` +${file.added} −${file.removed}`;
    const status = file.status === 'modified' ? '' : ` (${file.status})`;
    return `${file.path}${status}${counts}`;
  });
  const more = step.changes.omitted > 0 ? `, and ${step.changes.omitted} more` : '';
  return `${files.join(', ')}${more}`;
}

function renderHuman(step: HumanStory, style: ReturnType<typeof styles>): string {
  const head = `${style.bold(`${step.step + 1} human`)} · ${step.question}`;
  if (step.decision === null) return `${head}\n  ${style.yellow('waiting for an answer')}\n`;
  const decision = step.decision === 'approve' ? style.green('approved') : style.red('rejected');
  const answer = step.answer === null || step.answer === '' ? '' : `: ${step.answer}`;
  return `${head}\n  ${decision}${step.via ? ` (${step.via})` : ''}${answer}\n`;
}

function statusText(status: StageStory['status'], style: ReturnType<typeof styles>): string {
  return status === 'succeeded'
    ? style.green(status)
    : status === 'running'
      ? style.cyan(status)
      : status === 'interrupted'
        ? style.yellow(status)
        : style.red(status);
}

/** The run's next step, from its story (as `baton run` ends with). */
function nextStepOf(story: RunStory): string | null {
  const attempts = story.steps.flatMap((step) =>
    step.kind === 'stage'
      ? step.attempts.map((attempt) => ({ ...attempt, stage: step.stage }))
      : [],
  );
  // Only the run's last attempt can have ended it; an earlier failure was retried past.
  const last = attempts.at(-1);
  return nextStep({
    runId: story.runId,
    status: story.status,
    cause: story.cause,
    failed: last !== undefined && last.status === 'failed' ? last : null,
  });
}
