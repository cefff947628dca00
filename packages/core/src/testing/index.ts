export {
  adapterConformanceCases,
  type ConformanceCase,
  type ConformanceOptions,
  type ConformanceSample,
  sampleRequest,
} from './conformance.js';
