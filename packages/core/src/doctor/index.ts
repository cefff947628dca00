export {
  type BinaryCheckOptions,
  binaryCheck,
  executableFor,
  type PlaceholderDetector,
  type VersionCheckOptions,
  versionCheck,
} from './checks.js';
export { describeUse, EFFORT_CHECK_ID, effortCheck } from './effort.js';
export { type ExecutableHead, findExecutable, readExecutableHead } from './executable.js';
export { PROBE_PROMPT, type ProbeOptions, runProbe } from './probe.js';
export {
  type CommandResult,
  closePipesAfter,
  PIPE_GRACE_MS,
  type RunCommandOptions,
  runCommand,
} from './process.js';
export {
  type CheckReport,
  type RunChecksOptions,
  type RuntimeReport,
  runChecks,
} from './run-checks.js';
export { parseVersion, satisfies } from './semver.js';
