/**
 * Where a stage works when any worker of the pool may run it (`[scale] workspace`): every
 * execution of a stage attempt gets a folder of its own, made from what the previous stage
 * produced, so a stage run again on another worker — after a crash, or because a stopped
 * worker's attempt was taken over — starts from exactly the same state, and an execution
 * cut off (even one still running on a stopped machine) can never write into the one that
 * replaced it. An execution's result counts only once the mission records its outcome.
 *
 * - `git`: the run's starting commit is pinned on the remote (`refs/baton/<run>/base`, and
 *   the run's branch `<prefix><run>` created there); an execution works in a detached
 *   worktree of a cache repository of the worker, checked out at its base commit, and its
 *   result is committed and pushed to a ref of its own (`refs/baton/<run>/<stage>/<n>`). The
 *   mission moves the run's branch to a stage's result when it adopts it.
 * - `shared-path`: a folder every worker mounts; the run starts from `<root>/<run>/start`
 *   (copied there from the project when the run is enqueued), and an execution works in a
 *   copy of its base folder beside it, which stays as its result.
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Environment, REDACTED, type ScaleWorkspace } from '@baton/core';
import {
  type AfterFailure,
  type AttemptIdentity,
  type AttemptWorkspace,
  type NewEvent,
  type PreparedWorkspace,
  runGit,
} from '@baton/run';

const GIT_TIMEOUT_MS = 300_000;

/** What a stage starts from: the previous stage's result, or the run's start. */
export type WorkspaceBase =
  | { readonly strategy: 'git'; readonly ref: string; readonly commit: string }
  | { readonly strategy: 'shared-path'; readonly path: string };

/** The folder for a run's start under `[scale.shared_path] root`. */
export function sharedStartFolder(root: string, runId: string): string {
  return join(root, runId, 'start');
}

/**
 * Copies the project into the run's starting folder (shared-path): everything but Baton's
 * own `.baton/` folder.
 */
export function copyProjectToShared(projectRoot: string, root: string, runId: string): string {
  const start = sharedStartFolder(root, runId);
  if (!existsSync(root)) {
    throw new Error(
      `the shared workspace folder ${root} ([scale.shared_path] root) does not exist on this machine; mount it, or create it`,
    );
  }
  mkdirSync(join(root, runId), { recursive: true });
  cpSync(projectRoot, start, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => !isBatonFolder(projectRoot, source),
  });
  return start;
}

function isBatonFolder(root: string, source: string): boolean {
  return source === join(root, '.baton') || source.startsWith(`${join(root, '.baton')}/`);
}

/** A remote as it may be shown: without credentials in it. */
export function displayRemote(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^@/\s]+@/gi, `$1${REDACTED}@`);
}

/** The workspaces of one worker, under the strategy `[scale] workspace` chose. */
export class ScaleWorkspaces {
  readonly settings: ScaleWorkspace;
  private readonly dataDir: string;
  private readonly env: Environment;
  private cacheReady: Promise<string> | null = null;

  constructor(settings: ScaleWorkspace, dataDir: string, env: Environment) {
    this.settings = settings;
    this.dataDir = dataDir;
    this.env = env;
  }

  /** Where the run starts: its start pinned on the remote (git), or its start folder (shared-path). */
  async start(runId: string): Promise<WorkspaceBase> {
    const settings = this.settings;
    if (settings.strategy === 'shared-path') {
      const path = sharedStartFolder(settings.root, runId);
      if (!existsSync(path)) {
        throw new Error(
          `the run's starting folder ${path} is not there: the shared folder ([scale.shared_path] root) must be the same on every machine`,
        );
      }
      return { strategy: 'shared-path', path };
    }
    const cache = await this.cache();
    const listed = await git(cache, this.env, ['ls-remote', settings.remote, 'HEAD']);
    const commit = /^([0-9a-f]{40,64})\s/m.exec(listed)?.[1];
    if (commit === undefined) {
      throw new Error(`the remote ${displayRemote(settings.remote)} has no HEAD to start from`);
    }
    await git(cache, this.env, [
      'fetch',
      '-q',
      '--no-tags',
      '--no-write-fetch-head',
      settings.remote,
      'HEAD',
    ]);
    const base = `refs/baton/${runId}/base`;
    await git(cache, this.env, [
      'push',
      '-q',
      settings.remote,
      `+${commit}:${base}`,
      `+${commit}:refs/heads/${settings.branchPrefix}${runId}`,
    ]);
    return { strategy: 'git', ref: base, commit };
  }

  /**
   * Where a resumed run's stage starts: `result` (the last result the run recorded before the
   * step it resumes at), or else the run's start as `start` pinned it — never the remote's
   * HEAD of now, which may have moved on since.
   */
  async resumeFrom(runId: string, result: WorkspaceBase | null): Promise<WorkspaceBase> {
    if (result !== null) return result;
    const settings = this.settings;
    if (settings.strategy === 'shared-path') return this.start(runId);
    const base = `refs/baton/${runId}/base`;
    const listed = await git(await this.cache(), this.env, ['ls-remote', settings.remote, base]);
    const commit = /^([0-9a-f]{40,64})\s/m.exec(listed)?.[1];
    if (commit === undefined) {
      throw new Error(
        `the remote ${displayRemote(settings.remote)} no longer has ${base}, where the run started`,
      );
    }
    return { strategy: 'git', ref: base, commit };
  }

  /** The workspace of one execution of a stage attempt, made from `base` when prepared. */
  forExecution(
    runId: string,
    identity: AttemptIdentity,
    execution: string,
    base: WorkspaceBase,
  ): ExecutionWorkspace {
    const name = `${identity.step}-${identity.stage}-${identity.loop}.${identity.attempt}.${execution}`;
    const settings = this.settings;
    if (base.strategy !== settings.strategy) {
      throw new Error(
        `this run's workspace is in ${base.strategy === 'git' ? 'git' : 'a shared folder'}, and this worker's [scale] workspace is "${settings.strategy}"`,
      );
    }
    if (base.strategy === 'shared-path' && settings.strategy === 'shared-path') {
      return new SharedExecution(join(settings.root, runId, name), base);
    }
    return new GitExecution(
      this,
      join(this.dataDir, 'workspaces', runId, name),
      base as Extract<WorkspaceBase, { strategy: 'git' }>,
      `refs/baton/${runId}/${identity.step}-${identity.stage}-${identity.loop}/${identity.attempt}.${execution}`,
    );
  }

  /** Makes a stage's result the run's own: the run's branch moves to it (git). */
  async adopt(runId: string, result: WorkspaceBase): Promise<void> {
    const settings = this.settings;
    if (result.strategy !== 'git' || settings.strategy !== 'git') return;
    const cache = await this.cache();
    await this.fetchUnlessHere(result.ref, result.commit);
    await git(cache, this.env, [
      'push',
      '-q',
      settings.remote,
      `+${result.commit}:refs/heads/${settings.branchPrefix}${runId}`,
    ]);
  }

  /** The worker's cache repository (bare), made once. */
  cache(): Promise<string> {
    this.cacheReady ??= (async () => {
      const path = join(this.dataDir, 'repository.git');
      if (!existsSync(join(path, 'HEAD'))) {
        mkdirSync(path, { recursive: true });
        await git(path, this.env, ['init', '-q', '--bare']);
        // Executions fetch and add worktrees at the same time: no background gc among them.
        await git(path, this.env, ['config', 'gc.auto', '0']);
      }
      return path;
    })();
    this.cacheReady.catch(() => {
      this.cacheReady = null;
    });
    return this.cacheReady;
  }

  /** Fetches `ref` unless its commit is in the cache already (this worker made it, or used it). */
  async fetchUnlessHere(ref: string, commit: string): Promise<void> {
    const here = await git(await this.cache(), this.env, [
      'cat-file',
      '-e',
      `${commit}^{commit}`,
    ]).then(
      () => true,
      () => false,
    );
    if (!here) await this.fetch(ref);
  }

  async fetch(ref: string): Promise<void> {
    const settings = this.settings;
    if (settings.strategy !== 'git') return;
    await git(await this.cache(), this.env, [
      'fetch',
      '-q',
      '--no-tags',
      '--no-write-fetch-head',
      settings.remote,
      ref,
    ]);
  }

  gitRemote(): string {
    const settings = this.settings;
    if (settings.strategy !== 'git') throw new Error('not a git workspace');
    return settings.remote;
  }

  gitEnv(): Environment {
    return this.env;
  }
}

/** One execution's folder: an `AttemptWorkspace` for the shared attempt, plus its result. */
export interface ExecutionWorkspace extends AttemptWorkspace {
  /** Keeps what the execution left as its result (git: committed and pushed) and gives it. */
  finish(): Promise<WorkspaceBase>;
  /** Removes what this worker no longer needs (the result stays on the remote or the share). */
  dispose(): Promise<void>;
}

const NOTHING_DONE: AfterFailure = { events: [], abandonedRef: null, cannotRestore: null };

function prepared(event: NewEvent): PreparedWorkspace {
  return {
    events: [event],
    checkpointRef: null,
    abandonedRef: null,
    restored: null,
    problem: null,
  };
}

class SharedExecution implements ExecutionWorkspace {
  readonly cwd: string;
  readonly isGit = false;
  private readonly base: Extract<WorkspaceBase, { strategy: 'shared-path' }>;

  constructor(cwd: string, base: Extract<WorkspaceBase, { strategy: 'shared-path' }>) {
    this.cwd = cwd;
    this.base = base;
  }

  async prepare(identity: AttemptIdentity): Promise<PreparedWorkspace> {
    rmSync(this.cwd, { recursive: true, force: true });
    cpSync(this.base.path, this.cwd, { recursive: true, verbatimSymlinks: true });
    return prepared({
      type: 'workspace.prepared',
      payload: {
        ...identityOf(identity),
        strategy: 'shared-path',
        base: this.base.path,
        path: this.cwd,
      },
    });
  }

  async afterFailure(): Promise<AfterFailure> {
    // A fresh copy serves each attempt: what this one left stays in its own folder.
    return NOTHING_DONE;
  }

  async finish(): Promise<WorkspaceBase> {
    return { strategy: 'shared-path', path: this.cwd };
  }

  async dispose(): Promise<void> {}
}

class GitExecution implements ExecutionWorkspace {
  readonly cwd: string;
  readonly isGit = true;
  private readonly workspaces: ScaleWorkspaces;
  private readonly base: Extract<WorkspaceBase, { strategy: 'git' }>;
  private readonly resultRef: string;
  private added = false;

  constructor(
    workspaces: ScaleWorkspaces,
    cwd: string,
    base: Extract<WorkspaceBase, { strategy: 'git' }>,
    resultRef: string,
  ) {
    this.workspaces = workspaces;
    this.cwd = cwd;
    this.base = base;
    this.resultRef = resultRef;
  }

  async prepare(identity: AttemptIdentity): Promise<PreparedWorkspace> {
    const cache = await this.workspaces.cache();
    const env = this.workspaces.gitEnv();
    await this.workspaces.fetchUnlessHere(this.base.ref, this.base.commit);
    rmSync(this.cwd, { recursive: true, force: true });
    mkdirSync(join(this.cwd, '..'), { recursive: true });
    await git(cache, env, ['worktree', 'add', '-q', '--detach', this.cwd, this.base.commit]);
    this.added = true;
    return prepared({
      type: 'workspace.prepared',
      payload: {
        ...identityOf(identity),
        strategy: 'git',
        base_ref: this.base.ref,
        base_commit: this.base.commit,
        path: this.cwd,
      },
    });
  }

  async afterFailure(): Promise<AfterFailure> {
    // Each attempt starts from a fresh checkout of the base: what this one left is pushed
    // as its result when it finishes, and nothing needs putting back.
    return NOTHING_DONE;
  }

  async finish(): Promise<WorkspaceBase> {
    const env = this.workspaces.gitEnv();
    await git(this.cwd, env, ['add', '-A']);
    const staged = await git(this.cwd, env, ['diff', '--cached', '--name-only']);
    if (staged.trim() === '') return this.base;
    await git(this.cwd, env, ['commit', '-q', '--no-verify', '-m', `Baton: ${this.resultRef}`]);
    const commit = (await git(this.cwd, env, ['rev-parse', 'HEAD'])).trim();
    await git(this.cwd, env, [
      'push',
      '-q',
      this.workspaces.gitRemote(),
      `+${commit}:${this.resultRef}`,
    ]);
    return { strategy: 'git', ref: this.resultRef, commit };
  }

  async dispose(): Promise<void> {
    if (!this.added) return;
    const cache = await this.workspaces.cache();
    await git(cache, this.workspaces.gitEnv(), ['worktree', 'remove', '--force', this.cwd]).catch(
      () => rmSync(this.cwd, { recursive: true, force: true }),
    );
  }
}

function identityOf(identity: AttemptIdentity) {
  return {
    stage: identity.stage,
    step: identity.step,
    loop: identity.loop,
    attempt: identity.attempt,
  };
}

/** Runs git as Baton does (`runGit`); a failure never shows a remote's credentials. */
export function git(cwd: string, env: Environment, args: readonly string[]): Promise<string> {
  return runGit(cwd, env, args, { timeoutMs: GIT_TIMEOUT_MS, redact: displayRemote });
}
