import { existsSync } from 'node:fs';
import { BatonError } from '@baton/core';
import {
  displayStatus,
  isProcessAlive,
  Journal,
  journalPath,
  locateProjectRoot,
  type RunStatus,
  runNotFound,
} from '@baton/run';
import { parseCommandArguments, runIdArgument } from '../arguments.js';
import type { Command, CommandContext } from '../context.js';
import { EXIT_OK } from '../context.js';
import { styles, writeJson } from '../output.js';
import { LOCAL_OPTION, LOCAL_USAGE, poolUrl } from '../read-journal.js';
import { loadScale } from '../scale.js';

/** How long a run of this machine is given to stop once its process was told to. */
const LOCAL_STOP_TIMEOUT_MS = 30_000;

interface Stopped {
  readonly runId: string;
  readonly status: RunStatus;
  readonly cause: string | null;
}

export const command: Command = {
  name: 'stop',
  summary: 'Stop a running run: its stage is stopped, and baton resume continues it later.',
  usage: [
    'Usage: baton stop <run-id> [--local] [--json] [--config FILE]',
    '',
    'Stops a run that is running: the agent of its running stage is stopped and the run is',
    'journaled as interrupted; baton resume <run-id> continues it. A run of this machine is',
    'stopped as Ctrl-C stops it (its process is sent SIGINT). In scale mode a run of the worker',
    'pool is stopped from any machine: its mission cancels the running stage, whose worker stops',
    'its agent within a heartbeat. A unique prefix of the run id is enough. A run waiting for',
    'an answer runs nothing: end it with baton resume <run-id> --reject "<why>".',
    LOCAL_USAGE,
    '',
    'JSON: {"runId", "status", "cause"}',
  ].join('\n'),
  async run(context: CommandContext) {
    const { values, positionals } = parseCommandArguments('stop', context.args, LOCAL_OPTION, {
      allowPositionals: true,
    });
    const id = runIdArgument('stop', positionals);
    const url = values.local === true ? null : poolUrl(context);
    const stopped =
      (url === null ? null : await stopOnPool(context, url, id)) ?? (await stopHere(context, id));
    if (context.json) {
      writeJson(context, stopped);
      return EXIT_OK;
    }
    const style = styles(context.color);
    context.stdout.write(
      stopped.status === 'interrupted'
        ? `${style.green('✓')} Stopped run ${stopped.runId}${stopped.cause ? ` (${stopped.cause})` : ''}.\n` +
            `Next: baton resume ${stopped.runId} continues it.\n`
        : `Run ${stopped.runId} ended ${stopped.status} before it stopped.\n`,
    );
    return EXIT_OK;
  },
};

/** A run of the pool, stopped there; `null` when the pool has no such run. */
async function stopOnPool(
  context: CommandContext,
  url: string,
  id: string,
): Promise<Stopped | null> {
  const scale = await loadScale(context);
  try {
    return await scale.stopRemoteRun({ url }, id, context.secrets.redactor);
  } catch (error) {
    if (BatonError.isInstance(error) && error.code === 'RUN_NOT_FOUND') return null;
    throw error;
  }
}

/** A run of this machine: its process is told to stop as Ctrl-C does, and is waited for. */
async function stopHere(context: CommandContext, id: string): Promise<Stopped> {
  const path = journalPath(locateProjectRoot({ cwd: context.cwd, workspace: context.workspace }));
  if (!existsSync(path)) throw runNotFound(id);
  const journal = Journal.open(path, { readOnly: true });
  try {
    const found = journal.findRun(id);
    const runId = found.runId;
    const status = displayStatus(found);
    const owner = found.owner;
    if (status !== 'running' || owner === null || !isProcessAlive(owner)) {
      throw new BatonError(
        'RUN_STATE',
        status === 'waiting'
          ? `Run ${runId} waits for an answer, so nothing of it runs; to end it, reject it: baton resume ${runId} --reject "<why>"`
          : `Run ${runId} is ${status === 'running' ? 'interrupted' : status}: it does not run.`,
        { details: { runId, status } },
      );
    }
    process.kill(owner.pid, 'SIGINT');
    const deadline = Date.now() + LOCAL_STOP_TIMEOUT_MS;
    while (true) {
      const now = journal.getRun(runId)!;
      const current = displayStatus(now);
      if (current !== 'running') return { runId, status: current, cause: now.cause ?? null };
      if (Date.now() > deadline) {
        throw new BatonError(
          'RUN_STATE',
          `Run ${runId} did not stop within ${LOCAL_STOP_TIMEOUT_MS / 1000} s of its process (pid ${owner.pid}) being sent SIGINT.`,
          { details: { runId, pid: owner.pid } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    journal.close();
  }
}
