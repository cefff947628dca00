/**
 * Test support for the LiteLLM adapter, reusable by anyone testing against LiteLLM without
 * installing it: a stand-in proxy built from LiteLLM's documented endpoints, and
 * (re-exported from `@baton/core/testing`) the runner that executes a `CommandSpec` the
 * way Baton's runner does.
 */

export { type RunSpecOptions, runCommandSpec, type SpecRun } from '@baton/core/testing';
export {
  type LitellmStandIn,
  type LitellmStandInOptions,
  type RecordedRequest,
  type StandInUsage,
  startLitellmStandIn,
} from './litellm-stand-in.js';
