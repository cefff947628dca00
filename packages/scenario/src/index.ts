export { discoverScenarios, suiteOf } from './discover.js';
export {
  checkExpectations,
  type ExpectationOutcome,
  equal,
  type RunEvidence,
  valueAt,
} from './expectations.js';
export {
  DEFAULT_SCENARIO_TIMEOUT_MS,
  type Expectation,
  type ExpectationSubject,
  loadScenario,
  SCENARIO_SUFFIX,
  type Scenario,
  type ScenarioAnswer,
  type ScenarioReply,
} from './load.js';
export {
  LOCK_FILE,
  type Receipt,
  type ReceiptBody,
  type ReceiptLock,
  readLock,
  receiptDiff,
  receiptOf,
  writeLock,
} from './receipt.js';
export { jsonReport } from './reporters/json.js';
export { junitReport } from './reporters/junit.js';
export { prettyReport, type ReportStyle, totalLine } from './reporters/pretty.js';
export { pointAtServer, SCENARIO_MODEL } from './routing.js';
export {
  type RuntimeMode,
  runScenario,
  type ScenarioContext,
  type ScenarioRun,
} from './run-scenario.js';
export { type ReceivedRequest, stageOfRequest, startScenarioServer } from './scripted-server.js';
export { STAND_IN_HARNESS, STAND_INS, standInRegistry } from './stand-in/registry.js';
export {
  MAX_DEFAULT_JOBS,
  type ReceiptState,
  runSuite,
  type ScenarioOutcome,
  type SuiteOptions,
  type SuiteReport,
} from './suite.js';
