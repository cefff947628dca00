/**
 * The scripted model server of one scenario: its `[[replies]]` become testkit scripts, each
 * answering the requests of one stage (and, when a reply names one, of one runtime).
 *
 * Which stage a request belongs to is read from what Baton sends: the stage's prompt says
 * "You are running the <stage> stage" and its role contract begins "… (stage: <stage>)"; the
 * first of these in the request's text (system prompt first) names it, so earlier stages'
 * results quoted later in a prompt cannot mislead it. Which runtime sent it is read from its
 * API key: each runtime gets a key of its own for the scenario.
 */
import { STAGES, type Stage } from '@baton/core';
import {
  type LoggedRequest,
  type ModelServer,
  type ScriptRequest,
  type ScriptTurn,
  startModelServer,
} from '@baton/testkit';
import type { ScenarioReply } from './load.js';

const MARKER = new RegExp(
  `You are running the (${STAGES.join('|')}) stage|\\(stage: (${STAGES.join('|')})\\)`,
);

/** The stage whose prompt or contract a request carries first; `null` when none. */
export function stageOfRequest(text: string): Stage | null {
  const match = MARKER.exec(text);
  return match === null ? null : ((match[1] ?? match[2]) as Stage);
}

/** A model request the server received, with the stage and runtime it came from. */
export interface ReceivedRequest {
  readonly seq: number;
  readonly stage: Stage | null;
  readonly runtime: string | null;
  /** `responses`, `chat` or `messages`. */
  readonly api: string;
  readonly model: string | null;
  readonly path: string;
  /** The HTTP status answered; `null` if the client left before the answer. */
  readonly status: number | null;
  /** The index of the scripted reply (among the stage's) that answered; `null`: the default `OK`. */
  readonly turn: number | null;
  readonly stream: boolean;
  /** System prompt and history, one part per line (see @baton/testkit). */
  readonly text: string;
  readonly body: unknown;
  /** Headers, credentials redacted. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface ScenarioServer {
  readonly url: string;
  /** Model requests in arrival order. */
  requests(): ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Starts the server for a scenario. `keys` maps each runtime's API key to the runtime, so a
 * request is attributed to its runtime (and a reply for one runtime answers only it).
 */
export async function startScenarioServer(
  replies: readonly ScenarioReply[],
  keys: ReadonlyMap<string, string>,
): Promise<ScenarioServer> {
  const server: ModelServer = await startModelServer();
  const origins = new WeakMap<object, { stage: Stage | null; runtime: string | null }>();
  const originOf = (request: ScriptRequest) => {
    let origin = origins.get(request.body);
    if (origin === undefined) {
      origin = { stage: stageOfRequest(request.text), runtime: runtimeOf(request.headers, keys) };
      origins.set(request.body, origin);
    }
    return origin;
  };

  for (const stage of STAGES) {
    const ofStage = replies.filter((reply) => reply.stage === stage);
    if (ofStage.length === 0) continue;
    const general = ofStage.filter((reply) => reply.runtime === null).map((reply) => reply.turn);
    if (general.length > 0) {
      server.script({ when: (request) => originOf(request).stage === stage }, general);
    }
    // Registered later, so they win for their runtime: its own replies and the general ones, in file order.
    const runtimes = new Set(
      ofStage.flatMap((reply) => (reply.runtime === null ? [] : [reply.runtime])),
    );
    for (const runtime of runtimes) {
      const turns: ScriptTurn[] = ofStage
        .filter((reply) => reply.runtime === null || reply.runtime === runtime)
        .map((reply) => reply.turn);
      server.script(
        {
          when: (request) =>
            originOf(request).stage === stage && originOf(request).runtime === runtime,
        },
        turns,
      );
    }
  }
  // Registered last, so it sees every model request first: it only records where each came from.
  server.script(
    {
      when: (request) => {
        originOf(request);
        return false;
      },
    },
    [{ text: 'OK' }],
  );

  return {
    url: server.url,
    requests: () =>
      server.requests
        .filter((request) => request.api !== null)
        .map((request) => received(request, origins)),
    close: () => server.close(),
  };
}

function received(
  request: LoggedRequest,
  origins: WeakMap<object, { stage: Stage | null; runtime: string | null }>,
): ReceivedRequest {
  const origin =
    typeof request.body === 'object' && request.body !== null
      ? origins.get(request.body)
      : undefined;
  return {
    seq: request.seq,
    stage: origin?.stage ?? stageOfRequest(request.text),
    runtime: origin?.runtime ?? null,
    api: request.api!,
    model: request.model,
    path: request.path,
    status: request.status,
    turn: request.turn,
    stream: request.stream,
    text: request.text,
    body: request.body,
    headers: request.headers,
  };
}

/** The runtime whose key a request carries (as a bearer token, `x-api-key` or `api-key`). */
function runtimeOf(
  headers: Readonly<Record<string, string>>,
  keys: ReadonlyMap<string, string>,
): string | null {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
  for (const candidate of [bearer, headers['x-api-key'], headers['api-key']]) {
    if (candidate !== undefined && keys.has(candidate.trim())) return keys.get(candidate.trim())!;
  }
  return null;
}
