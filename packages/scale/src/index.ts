export {
  databaseUrlHasPassword,
  displayDatabaseUrl,
  isPassingFailure,
  passwordsOfUrl,
} from './database.js';
export { type InitOptions, type InitReport, initScale, migrateBatonSchema } from './init.js';
export {
  type AppendGuard,
  type GuardedAppend,
  isSuperseded,
  PgJournal,
  type PgJournalOptions,
  type PgRunOwner,
  type WorkflowOwnership,
} from './pg-journal.js';
export {
  ANSWER_TOPIC,
  type AnswerMessage,
  DEFAULT_TIMING,
  MISSIONS_QUEUE,
  type PoolTiming,
  runtimeQueue,
} from './pool.js';
export {
  answerRemoteRun,
  displayPool,
  type FollowOptions,
  followRemoteRun,
  type HumanAnswer,
  type PoolAddress,
  poolCheck,
  type RemoteResume,
  type RemoteStart,
  resumeRemoteRun,
  type SentAnswer,
  type StoppedRun,
  startRemoteRun,
  stopRemoteRun,
} from './remote-run.js';
export {
  listRuntimeLimits,
  MAX_RUNTIME_LIMIT,
  type RuntimeLimit,
  setRuntimeLimit,
} from './runtime-limits.js';
export { displayRemote, type WorkspaceBase } from './scale-workspace.js';
export { DEFAULT_DBOS_SCHEMA, DEFAULT_SCHEMA, SCHEMA_VERSION } from './schema.js';
export {
  DEFAULT_POLLING_MS,
  type RefusedRuntime,
  routedRuntimes,
  Worker,
  type WorkerOptions,
} from './worker.js';
export {
  type ClaimedOrphan,
  type ClaimedPeer,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_STALE_AFTER_MS,
  type LivenessOptions,
  listWorkers,
  MAX_SLOTS,
  type WorkerInfo,
  WorkerPresence,
  type WorkerRegistration,
} from './workers.js';
export { missionWorkflowId, stageWorkflowId } from './workflow-ids.js';
