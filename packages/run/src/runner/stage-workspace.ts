/**
 * The workspace around a stage's attempts: its checkpoint when the stage starts, the work of
 * a failed attempt kept in a ref, the checkpoint put back before a retry, a fallback or a
 * resume — never over a workspace a half-finished attempt left. Each snapshot is journaled
 * (`stage.checkpoint`) with its ref, so `git diff <checkpoint> <abandoned>` shows what an
 * attempt did. Outside a git work tree only a manifest is taken before each attempt: an
 * attempt that changed files cannot be undone, so no other attempt follows it.
 */
import type { Environment, Stage } from '@baton/core';
import type { NewEvent } from '../journal/journal.js';
import {
  checkpointRef,
  GitWorkspace,
  type Manifest,
  readManifest,
  type Snapshot,
} from './checkpoint.js';

/** Which attempt of which stage a snapshot belongs to. */
export interface AttemptIdentity {
  readonly step: number;
  readonly stage: Stage;
  readonly loop: number;
  readonly attempt: number;
}

/** What was done to the workspace before an attempt. */
export interface PreparedWorkspace {
  /** `stage.checkpoint` events to journal. */
  readonly events: readonly NewEvent[];
  /** The stage's checkpoint (git), or `null`. */
  readonly checkpointRef: string | null;
  /** Where the workspace was kept before it was put back, or `null` when nothing was. */
  readonly abandonedRef: string | null;
  /** Files written back and deleted, or `null` when nothing was restored. */
  readonly restored: { readonly written: number; readonly deleted: number } | null;
  /** Why no checkpoint could be taken or restored, or `null`. */
  readonly problem: string | null;
}

/** What a failed attempt left. */
export interface AfterFailure {
  readonly events: readonly NewEvent[];
  readonly abandonedRef: string | null;
  /** Why another attempt cannot start from the stage's starting workspace, or `null` when it can. */
  readonly cannotRestore: string | null;
}

const NOT_GIT = 'the project is not in a git work tree, so Baton cannot put the workspace back';

export class StageWorkspace {
  private readonly runId: string;
  readonly cwd: string;
  private readonly git: GitWorkspace | null;
  /** Outside git: the manifest taken before the attempt in flight. */
  private manifestBefore: Manifest | null = null;

  private constructor(runId: string, cwd: string, git: GitWorkspace | null) {
    this.runId = runId;
    this.cwd = cwd;
    this.git = git;
  }

  static async open(runId: string, cwd: string, env: Environment): Promise<StageWorkspace> {
    return new StageWorkspace(runId, cwd, await GitWorkspace.open(cwd, env));
  }

  get isGit(): boolean {
    return this.git !== null;
  }

  /**
   * Before an attempt: the stage's checkpoint is taken at its first attempt (or whenever it
   * has none yet); with `restore`, a workspace that differs from it is kept in a ref and put
   * back to it.
   */
  async prepare(identity: AttemptIdentity, restore: boolean): Promise<PreparedWorkspace> {
    if (this.git === null) {
      this.manifestBefore = readManifest(this.cwd);
      return {
        events: [],
        checkpointRef: null,
        abandonedRef: null,
        restored: null,
        problem: restore ? NOT_GIT : null,
      };
    }
    const git = this.git;
    const events: NewEvent[] = [];
    const ref = this.ref(identity, 'checkpoint');
    try {
      const existing = await git.read(ref);
      if (existing === null) {
        const snapshot = await git.snapshot(`Baton checkpoint: ${describe(identity)} start`);
        await git.keep(ref, snapshot);
        events.push(checkpointEvent(identity, 'checkpoint', ref, snapshot));
        return { events, checkpointRef: ref, abandonedRef: null, restored: null, problem: null };
      }
      if (!restore) {
        return { events, checkpointRef: ref, abandonedRef: null, restored: null, problem: null };
      }
      const current = await git.snapshot(`Baton: ${describe(identity)}, the workspace before it`);
      if (current.tree === existing.tree) {
        return { events, checkpointRef: ref, abandonedRef: null, restored: null, problem: null };
      }
      // Kept first, then put back: nothing an earlier attempt (or a person) did is lost.
      const previous = this.ref(identity, `${identity.attempt - 1}-abandoned`);
      const kept = await git.read(previous);
      let abandonedRef: string;
      if (kept !== null && kept.tree === current.tree) {
        abandonedRef = previous;
      } else {
        // What the restore replaces when no failed attempt left it just so: an interrupted
        // attempt's half-done work, or changes made since the run stopped.
        abandonedRef = this.ref(identity, `${identity.attempt}-replaced`);
        await git.keep(abandonedRef, current);
        events.push(checkpointEvent(identity, 'replaced', abandonedRef, current));
      }
      const restored = await git.restore(existing.tree, current.tree);
      return { events, checkpointRef: ref, abandonedRef, restored, problem: null };
    } catch (error) {
      const problem = `Baton could not checkpoint the workspace for ${identity.stage}: ${messageOf(error)}`;
      return {
        events: [
          ...events,
          { type: 'run.notice', payload: { kind: 'checkpoint-failed', text: problem } },
        ],
        checkpointRef: null,
        abandonedRef: null,
        restored: null,
        problem,
      };
    }
  }

  /** After a failed attempt: what it left is kept in `<attempt>-abandoned` (git), or checked (outside git). */
  async afterFailure(identity: AttemptIdentity): Promise<AfterFailure> {
    if (this.git === null) {
      const before = this.manifestBefore;
      const after = readManifest(this.cwd);
      if (before === null || 'overflow' in before || 'overflow' in after) {
        return {
          events: [],
          abandonedRef: null,
          cannotRestore: `${NOT_GIT}, and it has too many files (over ${Math.max(before?.files ?? 0, after.files)}) to tell whether the failed attempt changed any`,
        };
      }
      return {
        events: [],
        abandonedRef: null,
        cannotRestore:
          before.digest === after.digest
            ? null
            : `${NOT_GIT}, and the failed attempt changed files`,
      };
    }
    const ref = this.ref(identity, `${identity.attempt}-abandoned`);
    try {
      const snapshot = await this.git.snapshot(`Baton: ${describe(identity)}, abandoned`);
      await this.git.keep(ref, snapshot);
      return {
        events: [checkpointEvent(identity, 'abandoned', ref, snapshot)],
        abandonedRef: ref,
        cannotRestore: null,
      };
    } catch (error) {
      return {
        events: [],
        abandonedRef: null,
        cannotRestore: `Baton could not keep what the failed attempt left: ${messageOf(error)}`,
      };
    }
  }

  /** The workspace's tree as it is now (git), for comparing with a journaled snapshot. */
  async currentTree(): Promise<string | null> {
    if (this.git === null) return null;
    return (await this.git.snapshot('Baton: the workspace now')).tree;
  }

  /** Paths that differ between two trees (git). */
  async changedPaths(from: string, to: string): Promise<string[]> {
    return this.git === null ? [] : this.git.changedPaths(from, to);
  }

  /** The checkpoint ref of a stage, when it has one (git). */
  async checkpointOf(identity: Omit<AttemptIdentity, 'attempt'>): Promise<string | null> {
    if (this.git === null) return null;
    const ref = this.ref({ ...identity, attempt: 0 }, 'checkpoint');
    return (await this.git.read(ref)) === null ? null : ref;
  }

  private ref(identity: AttemptIdentity, name: string): string {
    return checkpointRef(this.runId, identity, name);
  }
}

function checkpointEvent(
  identity: AttemptIdentity,
  kind: 'checkpoint' | 'abandoned' | 'replaced',
  ref: string,
  snapshot: Snapshot,
): NewEvent {
  return {
    type: 'stage.checkpoint',
    payload: {
      step: identity.step,
      stage: identity.stage,
      loop: identity.loop,
      attempt: identity.attempt,
      kind,
      ref,
      commit: snapshot.commit,
      tree: snapshot.tree,
      ...(snapshot.skipped.length > 0
        ? { skipped_large_ignored: snapshot.skipped.slice(0, 50) }
        : {}),
    },
  };
}

function describe(identity: AttemptIdentity): string {
  return `${identity.stage} (step ${identity.step + 1}, loop ${identity.loop}, attempt ${identity.attempt})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
