export { ACCESS_LEVELS, type AccessLevel, defaultAccessLevel } from './access.js';
export { failureClassOf } from './adapter/failure-class.js';
export { statedDelayMs } from './adapter/stated-delay.js';
export { UNKNOWN_USAGE } from './adapter/usage.js';
export type * as AdapterV1 from './adapter/v1/spec.js';
export { upgradeV1Adapter, V1_CAPABILITIES } from './adapter/v1/upgrade.js';
export * from './adapter/v2/spec.js';
export { findProjectFile, PROJECT_FILE_NAME, userConfigPath } from './config/discover.js';
export { parseDuration } from './config/duration.js';
export { type ConfigIssue, formatIssue, formatIssues } from './config/issues.js';
export { batonJsonSchema, batonJsonSchemaText } from './config/json-schema.js';
export {
  type ConfigFlags,
  type ConfigResult,
  DEFAULT_RETRY_SETTINGS,
  DEFAULT_RUNTIME_BACKEND,
  type LoadConfigOptions,
  loadConfig,
} from './config/load.js';
export {
  type DatabaseUrlResolution,
  DEFAULT_BRANCH_PREFIX,
  DEFAULT_DATABASE_URL_ENV,
  databaseUrlSecrets,
  resolveDatabaseUrl,
  WORKSPACE_STRATEGIES,
} from './config/scale.js';
export {
  batonFileSchema,
  MAX_CHAIN_LENGTH,
  MAX_HUMAN_STEPS,
  MAX_MISSION_LOOPS,
  MAX_MISSION_STEPS,
} from './config/schema.js';
export type {
  BatonConfig,
  ContractOverride,
  ModelPrice,
  RetrySettings,
  ScaleSettings,
  ScaleWorkspace,
  StageTarget,
} from './config/types.js';
export {
  findProjectRoot,
  locateWorkspace,
  type WorkspaceOptions,
} from './config/workspace.js';
export { type RenderedContract, renderRoleContract, sha256 } from './contracts/render.js';
export { CONTRACTS_VERSION, ROLE_CONTRACTS, type RoleContract } from './contracts/roles.js';
export { BatonError, type BatonErrorOptions, ERROR_CODES, type ErrorCode } from './errors.js';
export {
  BUILT_IN_MISSIONS,
  DELIVER_MISSION,
  type Mission,
  type MissionStep,
  NO_BUDGET,
  type RunBudget,
} from './mission.js';
export {
  createRedactor,
  REDACTED,
  type Redactor,
  type RedactorOptions,
  SECRET_NAME,
  secretsOfEnv,
  secretValues,
} from './redact.js';
export {
  AdapterRegistry,
  checkAdapterShape,
  lookupError,
  type RegisteredRuntime,
  type RejectedAdapter,
  type RuntimeLookup,
  SUPPORTED_SPECIFICATION_VERSIONS,
} from './registry.js';
export {
  type ModelSource,
  type ResolutionSource,
  type ResolvedTarget,
  type RuntimeUse,
  resolveStage,
  resolveStages,
  runtimesInUse,
  runtimeUses,
  type StageResolution,
} from './resolve.js';
export {
  FIRST_PARTY_RUNTIMES,
  type KnownRuntime,
  normaliseRuntimeName,
} from './runtime-catalogue.js';
export { isStage, parseStage, STAGES, type Stage } from './stage.js';
export { closestMatch } from './suggest.js';
