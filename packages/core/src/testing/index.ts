export {
  adapterConformanceCases,
  type ConformanceCase,
  type ConformanceOptions,
  type ConformanceSample,
  sampleRequest,
} from './conformance.js';
export { type RunSpecOptions, runCommandSpec, type SpecRun } from './run-command-spec.js';
export { type SetupRunner, setupRunner } from './setup-runner.js';
