export { approvalSubject } from './approval.js';
export { canonicalJson, hashValue } from './canonical-json.js';
export { configHash } from './config-hash.js';
export { formatUsd, runBudgetOf } from './engine/budget.js';
export { applyEvent, replayEvents } from './engine/reducer.js';
export { stateHash } from './engine/state-hash.js';
export {
  type AttemptUsage,
  type Directive,
  type DispatchReason,
  ENDED_RUN_STATUSES,
  ENGINE_EVENT_TYPES,
  type EngineEvent,
  type EngineEventType,
  FINAL_RUN_STATUSES,
  type HistoryEntry,
  type HumanDecision,
  type InFlightStage,
  JOURNAL_FORMAT,
  type MissionSnapshot,
  type RetryPolicy,
  type RoutingSnapshot,
  RUN_STATUSES,
  type RunState,
  type RunStatus,
  type StageError,
  type Transition,
  type Verdict,
} from './engine/types.js';
export {
  DIRECTIVE_EVENT_TYPE,
  decodeEvent,
  encodeDirective,
  encodeEvent,
  isEngineEventType,
} from './engine/wire.js';
export {
  displayStatus,
  Journal,
  type JournalEvent,
  type JournalOptions,
  type NewEvent,
  type NewRun,
  type RawJournalEvent,
  type RunRecord,
  type RunUpdate,
  runNotFound,
} from './journal/journal.js';
export {
  ensureJournalDirectory,
  JOURNAL_DIRECTORY,
  JOURNAL_FILE,
  journalPath,
  locateProjectRoot,
} from './journal/location.js';
export {
  currentProcess,
  isProcessAlive,
  type ProcessIdentity,
  processStartToken,
} from './journal/owner.js';
export { newRunId } from './journal/run-id.js';
export { SqliteJournalStore } from './journal/sqlite-store.js';
export type { JournalStore } from './journal/store.js';
export { observeJournal } from './journal-observer.js';
export { composePrompt } from './prompt.js';
export { createRedactor, REDACTED, type Redactor, SECRET_NAME, secretValues } from './redact.js';
export { type ReplayReport, replayOf, replayRun } from './replay.js';
export { type AttemptResult, type RunResult, runResultOf } from './result.js';
export { planStoppedResume, type ResumeOptions } from './resume-plan.js';
export { dispatchedRuntimes } from './routing.js';
export { RUN_ERROR_EVENT, recordRunError } from './run-error.js';
export { causeOf, OWNER_LOST_CAUSE, type RunHeader } from './run-header.js';
export {
  type AttemptEnd,
  type AttemptHooks,
  type AttemptJournal,
  type AttemptResources,
  type AttemptSetup,
  type AttemptWorkspace,
  attemptIdentity,
  type DispatchDirective,
  interruptCause,
  runAttempt,
  stageProgress,
  unavailableEnd,
} from './runner/attempt.js';
export { type BinaryRecord, fingerprintBinary } from './runner/binaries.js';
export { checkpointRef, type GitOptions, runGit } from './runner/checkpoint.js';
export { assertDepth, currentDepth, DEPTH_VARIABLE, MAX_DEPTH } from './runner/environment.js';
export { displayEndpoint } from './runner/failure-detail.js';
export { MessageJoiner } from './runner/messages.js';
export type {
  ApprovalSubject,
  AskHuman,
  AttemptPlan,
  HumanAnswer,
  RunObserver,
  StageProgress,
  StageReport,
} from './runner/observer.js';
export {
  DEFAULT_RUNNER_OPTIONS,
  type ResolvedRunnerOptions,
  type RunnerOptions,
  resolveRunnerOptions,
} from './runner/options.js';
export { type PreflightResult, preflight } from './runner/preflight.js';
export { startWatchdog, stopGroup, type Watchdog } from './runner/process-group.js';
export {
  type ProcessOptions,
  type ProcessResult,
  runProcess,
  type StopReason,
} from './runner/spawn.js';
export type { AfterFailure, AttemptIdentity, PreparedWorkspace } from './runner/stage-workspace.js';
export { ToolCallCounter } from './runner/tool-calls.js';
export { type Annotations, type PlannedTransition, planTransition } from './runner/transition.js';
export {
  type ChangedFile,
  type FileChangeStatus,
  MAX_LISTED_FILES,
  type WorkspaceChanges,
} from './runner/workspace-changes.js';
export {
  findMission,
  type Notice,
  type PlannedStart,
  type PreparedRuntimes,
  planStart,
  type ResumeRequest,
  type RunContext,
  type RuntimeCheck,
  resumeRun,
  type StartContext,
  type StartRequest,
  startRun,
} from './service.js';
export {
  displayStatuses,
  findStoredRun,
  readStoredRunResult,
  readStoredRunStory,
  readStoredRunUsage,
  replayStoredRun,
  summarizeStoredRun,
} from './stored-run.js';
export {
  type AttemptStory,
  type FileChangeStory,
  type HumanStory,
  type RunStory,
  readRunStory,
  runStoryOf,
  type StageStory,
} from './story.js';
export {
  type RunSummary,
  type StageSummary,
  summarizeRun,
  summaryOf,
} from './summary.js';
export {
  type CostSource,
  readRunUsage,
  totalUsage,
  type UsageSummary,
} from './usage-summary.js';
export { readVerdict, VERDICT_INSTRUCTION } from './verdict.js';
