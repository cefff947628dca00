// Baton as a library, from the package that installs `baton`: the programmatic API of
// @baton/run (the same functions, not copies) and the error type its failures carry.
export { BatonError, ERROR_CODES, type ErrorCode } from '@baton/core';
export {
  type AskHuman,
  type AttemptResult,
  type CostSource,
  type DriveOptions,
  type HumanAnswer,
  type JournalEvent,
  type ListRunsOptions,
  listRuns,
  type MissionHandle,
  type ProjectOptions,
  type ReplayReport,
  type ResumeRunOptions,
  type RunListing,
  type RunMissionOptions,
  type RunnerOptions,
  type RunObserver,
  type RunQuery,
  type RunResult,
  readEvents,
  readRun,
  replayRun,
  resumeRun,
  runMission,
  type StageResult,
  type UsageSummary,
} from '@baton/run/api';
export type { Command, CommandContext, OutputStream } from './context.js';
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './context.js';
export { type MainOptions, main } from './main.js';
