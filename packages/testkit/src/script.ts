import type { ApiKind } from './conversation.js';
import { API_KINDS } from './conversation.js';

/** Token counts a turn reports. Missing counts are estimated from the text (4 chars a token). */
export interface TurnUsage {
  inputTokens?: number;
  outputTokens?: number;
  /**
   * Of `inputTokens`, how many came from the prompt cache; default 0. Reported by the
   * Responses API (`input_tokens_details.cached_tokens`), Chat Completions
   * (`prompt_tokens_details.cached_tokens`) and the Messages API (`cache_read_input_tokens`,
   * with `input_tokens` the rest).
   */
  cachedInputTokens?: number;
  /**
   * Of `outputTokens`, how many were reasoning; default 0. Reported by the Responses API
   * (`output_tokens_details.reasoning_tokens`) and Chat Completions
   * (`completion_tokens_details.reasoning_tokens`).
   */
  reasoningTokens?: number;
}

/** The model answers with this text, and the client's turn ends. */
export interface TextTurn {
  text: string;
  usage?: TurnUsage;
}

/**
 * The model asks the client to run a shell command. The server names the client's own shell
 * tool (Codex `exec_command` with `{cmd}`, Claude Code `Bash` and OpenCode `bash` with
 * `{command, description}`), read from the tools the request declares.
 */
export interface CommandToolCall {
  /** Overrides the tool name the server would pick. */
  name?: string;
  command: string;
  /** Sent where the tool takes a description; defaults to `Run a scripted command`. */
  description?: string;
  arguments?: never;
}

/** The model calls any tool with exactly these arguments. */
export interface ArgumentsToolCall {
  /** Defaults to the client's shell tool, as for a command. */
  name?: string;
  arguments: Record<string, unknown>;
  command?: never;
  description?: never;
}

/** The model calls a tool; the client runs it and sends the result in its next request. */
export interface ToolCallTurn {
  toolCall: CommandToolCall | ArgumentsToolCall;
  usage?: TurnUsage;
}

/**
 * The server answers with an HTTP error in the API's own error shape. An error adds nothing
 * to the conversation, so it applies to the request that would get the next turn: without
 * `times` every such request fails (retries too); with `times: n` only the first n do, and
 * later ones go on to the next turn.
 */
export interface ErrorTurn {
  error: {
    /** An HTTP error status, 400 to 599. */
    status: number;
    message?: string;
    /** The error `type` in the body; defaults to the API's usual type for the status. */
    type?: string;
    /** Extra response headers, e.g. `retry-after`. */
    headers?: Record<string, string>;
    /**
     * More members of the body's error object, over the defaults: e.g. Codex's usage limit
     * `{ plan_type: 'plus', resets_at: 1767229200 }`, or `{ code: 'insufficient_quota' }`.
     */
    fields?: Record<string, unknown>;
    /**
     * Fail inside the response stream instead of with an HTTP status (Responses API, streamed
     * requests only; see `stream-failure.ts`): the reply is 200, `response.created`, then
     * `response.failed` carrying the error object. `status` still picks its default type and
     * code (429: `rate_limit_exceeded`).
     */
    inStream?: boolean;
  };
  times?: number;
}

/** Waits `delay` milliseconds before answering with `then` (nothing is sent meanwhile). */
export interface DelayTurn {
  delay: number;
  then: ScriptTurn;
}

/**
 * `{ delay: ms, then: turn }` without writing a `then` key by hand (linters flag object
 * literals with one, though a non-function `then` is never taken for a promise).
 */
export function delay(ms: number, turn: ScriptTurn): DelayTurn {
  // biome-ignore lint/suspicious/noThenProperty: `then` names the delayed turn, not a promise method.
  return { delay: ms, then: turn };
}

/** One step of a script. */
export type ScriptTurn = TextTurn | ToolCallTurn | ErrorTurn | DelayTurn;

/** The turns of a conversation, in order. */
export type Script = readonly ScriptTurn[];

/** What a matcher sees of a model request. */
export interface ScriptRequest {
  api: ApiKind;
  model: string | null;
  /** All textual content of the system prompt and the history. */
  text: string;
  /** Request headers, names in lower case, values as sent (not redacted). */
  headers: Readonly<Record<string, string>>;
  body: Readonly<Record<string, unknown>>;
}

/** Chooses the requests a script answers. Every condition given must hold. */
export interface ScriptMatcher {
  /** The request's model: equal to a string, or matching a RegExp. */
  model?: string | RegExp;
  api?: ApiKind | readonly ApiKind[];
  /** A substring of (or a RegExp over) the request's text: system prompt plus history. */
  text?: string | RegExp;
  /** A header is present; with `value`, equal to it (string) or matching it (RegExp). */
  header?: { name: string; value?: string | RegExp };
  /** Any other test. */
  when?: (request: ScriptRequest) => boolean;
}

/** The turn chosen for a request, with delays folded in. */
export interface ChosenTurn {
  /** The `script()` route that answered (0-based, in registration order); null = default. */
  route: number | null;
  /** Index of the answering turn in its script; null when the server fell back to `OK`. */
  turn: number | null;
  delayMs: number;
  step: TextTurn | ToolCallTurn | ErrorTurn;
}

/** The text sent when a script has nothing left to say. */
export const FALLBACK_TEXT = 'OK';

interface Step {
  index: number;
  delayMs: number;
  turn: TextTurn | ToolCallTurn | ErrorTurn;
}

/** A place in the conversation: the errors guarding it, then the turn that answers there. */
interface Position {
  gates: Step[];
  reply: Step | undefined;
}

interface Route {
  id: number | null;
  matcher: ScriptMatcher;
  positions: Position[];
}

/** Routes requests to scripts and picks each request's turn. */
export interface ScriptBook {
  add(matcher: ScriptMatcher, turns: Script): number;
  choose(request: ScriptRequest, priorTurns: number): ChosenTurn;
  reset(): void;
}

export function createScriptBook(defaultScript: Script): ScriptBook {
  assertScript(defaultScript, 'defaultScript');
  const defaultRoute: Route = { id: null, matcher: {}, positions: compile(defaultScript) };
  let routes: Route[] = [];
  let nextRouteId = 0;
  // How many times each `times`-limited error has been served, keyed by route/position/gate.
  const served = new Map<string, number>();

  return {
    add(matcher, turns) {
      assertMatcher(matcher);
      assertScript(turns, 'turns');
      const id = nextRouteId++;
      routes.push({ id, matcher, positions: compile(turns) });
      return id;
    },
    choose(request, priorTurns) {
      // The latest route wins, so a test can override a route set up before it.
      const route = routes.findLast((candidate) => matches(candidate.matcher, request));
      return pickTurn(route ?? defaultRoute, priorTurns, served);
    },
    reset() {
      routes = [];
      nextRouteId = 0;
      served.clear();
    },
  };
}

function pickTurn(route: Route, priorTurns: number, served: Map<string, number>): ChosenTurn {
  const last = route.positions.length - 1;
  if (last < 0) return fallback(route.id);
  const positionIndex = Math.min(priorTurns, last);
  const position = route.positions[positionIndex]!;
  for (const [gateIndex, gate] of position.gates.entries()) {
    const times = (gate.turn as ErrorTurn).times;
    if (times === undefined) return chosen(route.id, gate);
    const key = `${route.id}:${positionIndex}:${gateIndex}`;
    const count = served.get(key) ?? 0;
    if (count < times) {
      served.set(key, count + 1);
      return chosen(route.id, gate);
    }
  }
  const reply = position.reply;
  if (reply === undefined) return fallback(route.id);
  // Past the end a script repeats its last turn, but never a tool call: a client would
  // run it again and again.
  if (priorTurns > last && 'toolCall' in reply.turn) return fallback(route.id);
  return chosen(route.id, reply);
}

function chosen(route: number | null, step: Step): ChosenTurn {
  return { route, turn: step.index, delayMs: step.delayMs, step: step.turn };
}

function fallback(route: number | null): ChosenTurn {
  return { route, turn: null, delayMs: 0, step: { text: FALLBACK_TEXT } };
}

/** Groups turns into conversation positions: errors never add a model turn to the history. */
function compile(turns: Script): Position[] {
  const positions: Position[] = [];
  let gates: Step[] = [];
  for (const [index, turn] of turns.entries()) {
    const step = unwrap(turn, index);
    if ('error' in step.turn) gates.push(step);
    else {
      positions.push({ gates, reply: step });
      gates = [];
    }
  }
  if (gates.length > 0) positions.push({ gates, reply: undefined });
  return positions;
}

function unwrap(turn: ScriptTurn, index: number): Step {
  let delayMs = 0;
  let current = turn;
  while ('delay' in current) {
    delayMs += current.delay;
    current = current.then;
  }
  return { index, delayMs, turn: current };
}

function matches(matcher: ScriptMatcher, request: ScriptRequest): boolean {
  if (matcher.model !== undefined) {
    if (request.model === null || !testValue(matcher.model, request.model, 'equal')) return false;
  }
  if (matcher.api !== undefined) {
    const kinds: readonly ApiKind[] = typeof matcher.api === 'string' ? [matcher.api] : matcher.api;
    if (!kinds.includes(request.api)) return false;
  }
  if (matcher.text !== undefined && !testValue(matcher.text, request.text, 'contain')) {
    return false;
  }
  if (matcher.header !== undefined) {
    const value = request.headers[matcher.header.name.toLowerCase()];
    if (value === undefined) return false;
    if (matcher.header.value !== undefined && !testValue(matcher.header.value, value, 'equal')) {
      return false;
    }
  }
  return matcher.when === undefined || matcher.when(request);
}

function testValue(expected: string | RegExp, actual: string, mode: 'equal' | 'contain'): boolean {
  if (typeof expected === 'string') {
    return mode === 'equal' ? actual === expected : actual.includes(expected);
  }
  // A /g or /y RegExp keeps state between calls; reset it so matching stays deterministic.
  expected.lastIndex = 0;
  return expected.test(actual);
}

function assertMatcher(matcher: ScriptMatcher): void {
  if (typeof matcher !== 'object' || matcher === null) {
    throw new TypeError('script(): the matcher must be an object, e.g. { model: "stub-model" }');
  }
  const known = new Set(['model', 'api', 'text', 'header', 'when']);
  for (const key of Object.keys(matcher)) {
    if (!known.has(key)) {
      throw new TypeError(
        `script(): unknown matcher key "${key}"; use model, api, text, header or when`,
      );
    }
  }
  const kinds = matcher.api === undefined ? [] : [matcher.api].flat();
  for (const kind of kinds) {
    if (!(API_KINDS as readonly string[]).includes(kind)) {
      throw new TypeError(`script(): unknown api "${kind}"; use ${API_KINDS.join(', ')}`);
    }
  }
  if (matcher.header !== undefined && typeof matcher.header.name !== 'string') {
    throw new TypeError('script(): matcher.header needs a name');
  }
}

/** Rejects a malformed script when it is registered, not when a request first reaches it. */
export function assertScript(turns: Script, where: string): void {
  if (!Array.isArray(turns)) throw new TypeError(`${where} must be an array of turns`);
  for (const [index, turn] of turns.entries()) assertTurn(turn, `${where}[${index}]`);
}

function assertTurn(turn: unknown, where: string): void {
  const fail = (problem: string): never => {
    throw new TypeError(`${where}: ${problem}`);
  };
  if (typeof turn !== 'object' || turn === null) {
    fail('a turn must be an object: { text }, { toolCall }, { error } or { delay, then }');
  }
  const value = turn as Record<string, unknown>;
  const kinds = ['text', 'toolCall', 'error', 'delay'].filter((key) => key in value);
  if (kinds.length !== 1) {
    fail('a turn needs exactly one of text, toolCall, error, delay');
  }
  if ('usage' in value && value['usage'] !== undefined) assertUsage(value['usage'], where);
  switch (kinds[0]) {
    case 'text':
      if (typeof value['text'] !== 'string') fail('text must be a string');
      return;
    case 'toolCall': {
      const call = value['toolCall'] as Record<string, unknown> | null;
      if (typeof call !== 'object' || call === null) fail('toolCall must be an object');
      const toolCall = call as Record<string, unknown>;
      if (toolCall['name'] !== undefined && typeof toolCall['name'] !== 'string') {
        fail('toolCall.name must be a string');
      }
      const hasCommand = typeof toolCall['command'] === 'string';
      const args = toolCall['arguments'];
      const hasArguments = typeof args === 'object' && args !== null && !Array.isArray(args);
      if (hasCommand === hasArguments) {
        fail('toolCall needs either command (a string) or arguments (an object), not both');
      }
      return;
    }
    case 'error': {
      const error = value['error'] as Record<string, unknown> | null;
      if (typeof error !== 'object' || error === null) fail('error must be an object');
      const status = (error as Record<string, unknown>)['status'];
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
        fail('error.status must be an HTTP error status (400 to 599)');
      }
      const fields = (error as Record<string, unknown>)['fields'];
      if (
        fields !== undefined &&
        (typeof fields !== 'object' || fields === null || Array.isArray(fields))
      ) {
        fail('error.fields must be an object');
      }
      const inStream = (error as Record<string, unknown>)['inStream'];
      if (inStream !== undefined && typeof inStream !== 'boolean') {
        fail('error.inStream must be true or false');
      }
      const times = value['times'];
      if (times !== undefined && (!Number.isInteger(times) || (times as number) < 1)) {
        fail('times must be a positive integer');
      }
      return;
    }
    default: {
      const delay = value['delay'];
      if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
        fail('delay must be a number of milliseconds, 0 or more');
      }
      if (!('then' in value)) fail('a delay needs a `then` turn');
      assertTurn(value['then'], `${where}.then`);
    }
  }
}

function assertUsage(usage: unknown, where: string): void {
  if (typeof usage !== 'object' || usage === null) {
    throw new TypeError(`${where}: usage must be an object`);
  }
  const keys = ['inputTokens', 'outputTokens', 'cachedInputTokens', 'reasoningTokens'];
  for (const [key, count] of Object.entries(usage)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${where}: unknown usage key "${key}"; use ${keys.join(', ')}`);
    }
    if (count !== undefined && (!Number.isInteger(count) || (count as number) < 0)) {
      throw new TypeError(`${where}: usage.${key} must be a whole number, 0 or more`);
    }
  }
}
