/**
 * A stand-in for a coding-agent CLI, for `baton test --runtime fake` on machines without the
 * real ones. Run by Node as its own process, like the harness it replaces:
 *
 *   node harness.js <codex|claude|opencode|hermes> < job.json
 *
 * It does what the harness does against a gateway, in the harness's wire API (Codex: OpenAI
 * Responses; Claude Code: Anthropic Messages; OpenCode and Hermes: Chat Completions): sends
 * the role contract as the instructions and the prompt as the user's message, runs the shell
 * commands the model asks for in the workspace, and sends their output back, until the model
 * answers with text. What it prints is the harness's own machine-readable output, in the shape
 * recorded from the real CLI (Codex 0.169.0 `exec --json`, Claude Code 2.1.330 `stream-json`,
 * OpenCode 1.18.33 `run --format json`, Hermes 0.21 text plus its usage file), errors
 * included, so the adapter's real decoder reads it. Codex streams its requests, as the real one
 * does, so a failure inside the stream reaches it as it reaches Codex. The Claude Code stand-in
 * retries a failed request as Claude Code does (`CLAUDE_CODE_MAX_RETRIES` times, the delays it
 * announces); the others make one request per turn: OpenCode's and Hermes's own retries are
 * not reproduced (Baton's retries and fallbacks follow). It does not sandbox commands, and it
 * prices nothing: each reports its tokens with a cost it does not know, so `[pricing]` gives it.
 *
 * Self-contained (Node built-ins only) and erasable TypeScript, so Node runs the source too.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

interface Job {
  readonly stage: string;
  readonly prompt: string;
  readonly contract: string;
  readonly model: string | null;
  readonly baseUrl: string;
  readonly apiKeyEnv: string | null;
  readonly resultFiles: Readonly<Record<string, string>>;
}

type Format = 'codex' | 'claude' | 'opencode' | 'hermes';

interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly command: string;
  readonly raw: unknown;
}

interface Reply {
  readonly text: string | null;
  readonly call: ToolCall | null;
  readonly usage: Usage;
}

interface Usage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

interface HttpFailure {
  /** The HTTP status; `null`: no response, or a failure inside a streamed response. */
  readonly status: number | null;
  readonly message: string;
  readonly type: string | null;
  readonly code: string | null;
  readonly url: string;
  /** The response's headers, lower-case; empty without a response. */
  readonly headers: Readonly<Record<string, string>>;
  /** More members of the body's error object (Codex's `plan_type`, `resets_at`). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The failure came inside a streamed response (Responses `response.failed`). */
  readonly inStream: boolean;
}

interface ToolRun {
  readonly call: ToolCall;
  readonly output: string;
  readonly exitCode: number;
}

const MAX_TURNS = 25;
const MAX_OUTPUT = 64 * 1024;
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  529: 'Overloaded',
};

const format = process.argv[2] as Format;
if (!['codex', 'claude', 'opencode', 'hermes'].includes(format)) {
  process.stderr.write(`stand-in: unknown format ${String(format)}\n`);
  process.exit(2);
}
const job = JSON.parse(await readStdin()) as Job;
const session = `stand-in-${format}-${job.stage}`;
const key = job.apiKeyEnv === null ? '' : (process.env[job.apiKeyEnv] ?? '');
const api = format === 'codex' ? 'responses' : format === 'claude' ? 'messages' : 'chat';
const total: Usage = { input: 0, cached: 0, output: 0, reasoning: 0 };
// Claude Code retries a failed request itself; Baton's adapter sets how often (at most 2).
const claudeRetries = format === 'claude' ? retryLimit(process.env.CLAUDE_CODE_MAX_RETRIES) : 0;
const runs: ToolRun[] = [];
const history: unknown[] = [];

out(opening());
let finalText: string | null = null;
let failure: HttpFailure | null = null;
for (let turn = 0; turn < MAX_TURNS && finalText === null && failure === null; turn++) {
  const answer = await ask();
  if ('message' in answer) {
    failure = answer;
    break;
  }
  add(total, answer.usage);
  if (answer.call === null) {
    finalText = answer.text ?? '';
    break;
  }
  out(toolStarted(answer.call, runs.length));
  const run = runShell(answer.call);
  runs.push(run);
  out(toolFinished(run, runs.length - 1));
  remember(answer, run);
}
if (failure !== null) {
  out(failed(failure));
  process.exitCode = 1;
} else {
  out(succeeded(finalText ?? ''));
}

// ---- The model conversation, in the harness's wire API ----

/** The model's next reply, after the retries the harness itself makes. */
async function ask(): Promise<Reply | HttpFailure> {
  for (let attempt = 1; ; attempt++) {
    const answer = await askOnce();
    if (!('message' in answer)) return answer;
    const delay = attempt <= claudeRetries ? claudeRetryDelay(answer, attempt) : null;
    if (delay === null) return answer;
    out([
      {
        type: 'system',
        subtype: 'api_retry',
        attempt,
        max_retries: claudeRetries,
        retry_delay_ms: delay,
        error_status: answer.status,
        error: claudeRetryCategory(answer.status),
        session_id: session,
        uuid: crypto.randomUUID(),
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function askOnce(): Promise<Reply | HttpFailure> {
  const { url, headers, body } = request();
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: null,
      message: `connection failed: ${cause?.code ?? cause?.message ?? String(error)}`,
      type: null,
      code: cause?.code ?? null,
      url,
      headers: {},
      fields: {},
      inStream: false,
    };
  }
  const text = await response.text();
  if (response.ok && api === 'responses') return streamed(text, url);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A body that is not JSON: its text is the message.
  }
  if (!response.ok) {
    const error = (json.error ?? {}) as Record<string, unknown>;
    return {
      status: response.status,
      message: typeof error.message === 'string' ? error.message : text,
      type: typeof error.type === 'string' ? error.type : null,
      code: typeof error.code === 'string' ? error.code : null,
      url,
      headers: Object.fromEntries(response.headers),
      fields: error,
      inStream: false,
    };
  }
  return parse(json);
}

/** A streamed Responses reply: the completed response, or the error it failed with. */
function streamed(text: string, url: string): Reply | HttpFailure {
  let failed: Record<string, unknown> | null = null;
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .join('\n');
    if (data === '' || data === '[DONE]') continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(data) as Record<string, unknown>;
    } catch {
      continue;
    }
    const response = (event.response ?? {}) as Record<string, unknown>;
    if (event.type === 'response.completed') return parse(response);
    if (event.type === 'response.failed')
      failed = (response.error ?? {}) as Record<string, unknown>;
  }
  const error = failed ?? { message: 'stream closed before response.completed' };
  return {
    status: null,
    message: typeof error.message === 'string' ? error.message : '',
    type: typeof error.type === 'string' ? error.type : null,
    code: typeof error.code === 'string' ? error.code : null,
    url,
    headers: {},
    fields: error,
    inStream: true,
  };
}

function request(): { url: string; headers: Record<string, string>; body: unknown } {
  const base = job.baseUrl.replace(/\/+$/, '');
  const model = job.model ?? 'stand-in-model';
  switch (api) {
    case 'responses':
      return {
        url: `${base}/responses`,
        headers: { authorization: `Bearer ${key}` },
        body: {
          model,
          instructions: job.contract,
          input: [
            { type: 'message', role: 'user', content: [{ type: 'input_text', text: job.prompt }] },
            ...history,
          ],
          tools: [
            {
              type: 'function',
              name: 'exec_command',
              description: 'Runs a shell command',
              parameters: {
                type: 'object',
                properties: { cmd: { type: 'string' } },
                required: ['cmd'],
              },
            },
          ],
          stream: true,
        },
      };
    case 'messages':
      return {
        url: `${base.replace(/\/v1$/, '')}/v1/messages`,
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: {
          model,
          max_tokens: 32000,
          system: job.contract,
          messages: [{ role: 'user', content: job.prompt }, ...history],
          tools: [
            {
              name: 'Bash',
              description: 'Runs a shell command',
              input_schema: {
                type: 'object',
                properties: { command: { type: 'string' }, description: { type: 'string' } },
                required: ['command'],
              },
            },
          ],
          stream: false,
        },
      };
    default:
      return {
        url: `${base}/chat/completions`,
        headers: { authorization: `Bearer ${key}` },
        body: {
          model,
          messages: [
            ...(job.contract === '' ? [] : [{ role: 'system', content: job.contract }]),
            { role: 'user', content: job.prompt },
            ...history,
          ],
          tools: [
            {
              type: 'function',
              function: {
                name: 'bash',
                description: 'Runs a shell command',
                parameters: {
                  type: 'object',
                  properties: { command: { type: 'string' } },
                  required: ['command'],
                },
              },
            },
          ],
          stream: false,
        },
      };
  }
}

function parse(json: Record<string, unknown>): Reply {
  const usage = json.usage as Record<string, unknown> | undefined;
  const number = (value: unknown) => (typeof value === 'number' ? value : 0);
  const detail = (name: string, field: string) =>
    number((usage?.[name] as Record<string, unknown> | undefined)?.[field]);
  if (api === 'responses') {
    const items = (json.output ?? []) as Record<string, unknown>[];
    const call = items.find((item) => item.type === 'function_call');
    const text = items
      .filter((item) => item.type === 'message')
      .flatMap((item) => (item.content ?? []) as Record<string, unknown>[])
      .map((part) => (typeof part.text === 'string' ? part.text : ''))
      .join('');
    return {
      text,
      call:
        call === undefined
          ? null
          : toolCall(String(call.call_id), String(call.name), parseArguments(call.arguments), call),
      usage: {
        input: number(usage?.input_tokens),
        cached: detail('input_tokens_details', 'cached_tokens'),
        output: number(usage?.output_tokens),
        reasoning: detail('output_tokens_details', 'reasoning_tokens'),
      },
    };
  }
  if (api === 'messages') {
    const blocks = (json.content ?? []) as Record<string, unknown>[];
    const call = blocks.find((block) => block.type === 'tool_use');
    const cached = number(usage?.cache_read_input_tokens);
    return {
      text: blocks.map((block) => (typeof block.text === 'string' ? block.text : '')).join(''),
      call:
        call === undefined
          ? null
          : toolCall(
              String(call.id),
              String(call.name),
              call.input as Record<string, unknown>,
              blocks,
            ),
      usage: {
        input: number(usage?.input_tokens) + cached,
        cached,
        output: number(usage?.output_tokens),
        reasoning: 0,
      },
    };
  }
  const message = ((json.choices as Record<string, unknown>[] | undefined)?.[0]?.message ??
    {}) as Record<string, unknown>;
  const call = (message.tool_calls as Record<string, unknown>[] | undefined)?.[0];
  const fn = (call?.function ?? {}) as Record<string, unknown>;
  return {
    text: typeof message.content === 'string' ? message.content : null,
    call:
      call === undefined
        ? null
        : toolCall(String(call.id), String(fn.name), parseArguments(fn.arguments), message),
    usage: {
      input: number(usage?.prompt_tokens),
      cached: detail('prompt_tokens_details', 'cached_tokens'),
      output: number(usage?.completion_tokens),
      reasoning: detail('completion_tokens_details', 'reasoning_tokens'),
    },
  };
}

function toolCall(
  id: string,
  name: string,
  input: Record<string, unknown>,
  raw: unknown,
): ToolCall {
  const command = input.cmd ?? input.command;
  return { id, name, command: typeof command === 'string' ? command : JSON.stringify(input), raw };
}

function parseArguments(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') return (value ?? {}) as Record<string, unknown>;
  try {
    return JSON.parse(value) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The tool call and its result, added to the conversation the way each wire API carries them. */
function remember(reply: Reply, run: ToolRun): void {
  const { call } = run;
  if (api === 'responses') {
    history.push(
      {
        type: 'function_call',
        call_id: call.id,
        name: call.name,
        arguments: JSON.stringify({ cmd: call.command }),
      },
      { type: 'function_call_output', call_id: call.id, output: run.output },
    );
  } else if (api === 'messages') {
    history.push(
      { role: 'assistant', content: call.raw },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: call.id,
            content: run.output,
            is_error: run.exitCode !== 0,
          },
        ],
      },
    );
  } else {
    history.push(
      {
        role: 'assistant',
        content: reply.text,
        tool_calls: [
          {
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify({ command: call.command }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: call.id, content: run.output },
    );
  }
}

function runShell(call: ToolCall): ToolRun {
  const result = spawnSync('/bin/sh', ['-c', call.command], {
    cwd: process.cwd(),
    encoding: 'utf8',
    maxBuffer: MAX_OUTPUT * 4,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.slice(0, MAX_OUTPUT);
  return { call, output, exitCode: result.status ?? 1 };
}

// ---- What the harness prints, as recorded from the real CLIs ----

function opening(): unknown[] {
  switch (format) {
    case 'codex':
      return [{ type: 'thread.started', thread_id: session }, { type: 'turn.started' }];
    case 'claude':
      return [
        {
          type: 'system',
          subtype: 'init',
          cwd: process.cwd(),
          session_id: session,
          tools: ['Bash'],
          mcp_servers: [],
          model: job.model ?? 'stand-in-model',
          permissionMode: 'default',
        },
      ];
    default:
      return [];
  }
}

function toolStarted(call: ToolCall, index: number): unknown[] {
  switch (format) {
    case 'codex':
      return [
        {
          type: 'item.started',
          item: {
            id: `item_${index}`,
            type: 'command_execution',
            command: call.command,
            aggregated_output: '',
            exit_code: null,
            status: 'in_progress',
          },
        },
      ];
    case 'claude':
      return [
        {
          type: 'assistant',
          message: {
            id: `msg_${index}`,
            type: 'message',
            role: 'assistant',
            model: job.model ?? 'stand-in-model',
            content: [
              { type: 'tool_use', id: call.id, name: 'Bash', input: { command: call.command } },
            ],
          },
          parent_tool_use_id: null,
          session_id: session,
        },
      ];
    case 'opencode':
      return [
        {
          type: 'step_start',
          sessionID: session,
          part: { sessionID: session, type: 'step-start' },
        },
      ];
    default:
      return [];
  }
}

function toolFinished(run: ToolRun, index: number): unknown[] {
  const { call } = run;
  switch (format) {
    case 'codex':
      return [
        {
          type: 'item.completed',
          item: {
            id: `item_${index}`,
            type: 'command_execution',
            command: call.command,
            aggregated_output: run.output,
            exit_code: run.exitCode,
            status: run.exitCode === 0 ? 'completed' : 'failed',
          },
        },
      ];
    case 'claude':
      return [
        {
          type: 'user',
          message: {
            role: 'user',
            content: [
              {
                tool_use_id: call.id,
                type: 'tool_result',
                content: run.output,
                is_error: run.exitCode !== 0,
              },
            ],
          },
          parent_tool_use_id: null,
          session_id: session,
        },
      ];
    case 'opencode':
      return [
        {
          type: 'tool_use',
          sessionID: session,
          part: {
            type: 'tool',
            tool: 'bash',
            callID: call.id,
            state: {
              status: 'completed',
              input: { command: call.command },
              output: run.output,
              metadata: { output: run.output, exit: run.exitCode, truncated: false },
              title: call.command,
            },
            sessionID: session,
          },
        },
        {
          type: 'step_finish',
          sessionID: session,
          part: {
            reason: 'tool-calls',
            sessionID: session,
            type: 'step-finish',
            tokens: tokens({ input: 0, cached: 0, output: 0, reasoning: 0 }),
            cost: 0,
          },
        },
      ];
    default:
      return [];
  }
}

function succeeded(text: string): unknown[] {
  switch (format) {
    case 'codex':
      return [
        {
          type: 'item.completed',
          item: { id: `item_${runs.length}`, type: 'agent_message', text },
        },
        {
          type: 'turn.completed',
          usage: {
            input_tokens: total.input,
            cached_input_tokens: total.cached,
            cache_write_input_tokens: 0,
            output_tokens: total.output,
            reasoning_output_tokens: total.reasoning,
          },
        },
      ];
    case 'claude':
      return [
        {
          type: 'assistant',
          message: {
            id: `msg_${runs.length}`,
            type: 'message',
            role: 'assistant',
            model: job.model ?? 'stand-in-model',
            content: [{ type: 'text', text }],
          },
          parent_tool_use_id: null,
          session_id: session,
        },
        {
          type: 'result',
          subtype: 'success',
          is_error: false,
          api_error_status: null,
          result: text,
          stop_reason: 'end_turn',
          terminal_reason: 'completed',
          session_id: session,
          num_turns: runs.length + 1,
          total_cost_usd: 0,
          usage: {
            input_tokens: total.input - total.cached,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: total.cached,
            output_tokens: total.output,
          },
          modelUsage: claudeModelUsage(),
          model_usage_since_last_result: claudeModelUsage(),
        },
      ];
    case 'opencode':
      return [
        {
          type: 'step_start',
          sessionID: session,
          part: { sessionID: session, type: 'step-start' },
        },
        { type: 'text', sessionID: session, part: { sessionID: session, type: 'text', text } },
        {
          type: 'step_finish',
          sessionID: session,
          part: {
            reason: 'stop',
            sessionID: session,
            type: 'step-finish',
            tokens: tokens(total),
            cost: 0,
          },
        },
      ];
    case 'hermes':
      writeUsage({ completed: true, failed: false });
      return text.split('\n');
  }
}

function failed(error: HttpFailure): unknown[] {
  switch (format) {
    case 'codex': {
      const message = codexMessage(error);
      return [
        { type: 'error', message },
        { type: 'turn.failed', error: { message } },
      ];
    }
    case 'claude': {
      const text = claudeMessage(error);
      const type = error.type ?? anthropicType(error.status);
      return [
        {
          type: 'assistant',
          message: {
            id: 'msg_error',
            type: 'message',
            role: 'assistant',
            model: '<synthetic>',
            content: [{ type: 'text', text }],
          },
          parent_tool_use_id: null,
          session_id: session,
          error: claudeCategory(error.status),
          is_api_error_message: true,
          api_error_status: error.status,
          api_error_type: type,
        },
        {
          type: 'result',
          subtype: 'success',
          is_error: true,
          api_error_status: error.status,
          api_error_type: type,
          result: text,
          stop_reason: 'stop_sequence',
          terminal_reason: 'api_error',
          session_id: session,
          num_turns: 1,
          total_cost_usd: 0,
          usage: {
            input_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 0,
          },
        },
      ];
    }
    case 'opencode':
      return [{ type: 'error', sessionID: session, error: opencodeError(error) }];
    case 'hermes':
      writeUsage({
        completed: false,
        failed: true,
        failure:
          error.status === null
            ? `Connection error: ${error.message}`
            : `Error code: ${error.status} - {'error': {'message': '${error.message}', 'code': ${error.status}}}`,
      });
      return [];
  }
}

function codexMessage(error: HttpFailure): string {
  if (error.inStream) {
    if (error.code === 'rate_limit_exceeded') return `rate limit exceeded: ${error.message}`;
    if (error.code === 'context_length_exceeded')
      return "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.";
    if (error.code === 'insufficient_quota')
      return 'Quota exceeded. Check your plan and billing details.';
    return `stream disconnected before completion: ${error.message}`;
  }
  if (error.status === null) return 'Connection failed: error sending request';
  const kind = error.type ?? error.code;
  if (error.status === 400)
    return JSON.stringify({ error: { message: error.message, type: error.type } });
  if (error.status === 429) {
    if (kind === 'usage_limit_reached') return codexUsageLimit(error.fields);
    if (kind === 'insufficient_quota')
      return 'Quota exceeded. Check your plan and billing details.';
    if (kind === 'usage_not_included')
      return 'To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.';
    return 'exceeded retry limit, last status: 429 Too Many Requests';
  }
  if (error.status === 500)
    return 'We’re currently experiencing high demand, which may cause temporary errors.';
  if (error.status === 503 && error.code === 'server_is_overloaded')
    return 'Selected model is at capacity. Please try a different model.';
  return `unexpected status ${error.status} ${REASONS[error.status] ?? 'Error'}: ${error.message}, url: ${error.url}`;
}

/**
 * Codex's words for a usage limit: by the plan the error names, with its reset time in the
 * local time of the process (`TZ`), the date too when it is not today.
 */
function codexUsageLimit(fields: Readonly<Record<string, unknown>>): string {
  const resetsAt = typeof fields.resets_at === 'number' ? new Date(fields.resets_at * 1000) : null;
  const when = resetsAt === null ? 'later' : `at ${codexTime(resetsAt)}`;
  switch (fields.plan_type) {
    case undefined:
    case null:
      return `You’ve hit your usage limit. Try again ${when}.`;
    case 'free':
      return `You’ve hit your usage limit. Upgrade to Plus to continue using Codex (https://chatgpt.com/explore/plus), or try again ${when}.`;
    case 'plus':
      return `You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again ${when}.`;
    case 'pro':
      return `You’ve hit your usage limit. Visit https://chatgpt.com/settings/usage to purchase more credits or try again ${when}.`;
    default:
      return `You’ve hit your usage limit. To get more access now, send a request to your admin or try again ${when}.`;
  }
}

/** `2:26 PM` today, `Dec 6th, 2026 11:25 AM` on another day. */
function codexTime(at: Date): string {
  const hours = at.getHours() % 12 === 0 ? 12 : at.getHours() % 12;
  const time = `${hours}:${String(at.getMinutes()).padStart(2, '0')} ${at.getHours() < 12 ? 'AM' : 'PM'}`;
  if (at.toDateString() === new Date().toDateString()) return time;
  const day = at.getDate();
  const suffix =
    day % 10 === 1 && day !== 11
      ? 'st'
      : day % 10 === 2 && day !== 12
        ? 'nd'
        : day % 10 === 3 && day !== 13
          ? 'rd'
          : 'th';
  const month = at.toLocaleString('en-US', { month: 'short' });
  return `${month} ${day}${suffix}, ${at.getFullYear()} ${time}`;
}

/** OpenCode's named error for a failed provider request. */
function opencodeError(error: HttpFailure): Record<string, unknown> {
  if (error.status === null) {
    return {
      name: 'APIError',
      data: {
        message:
          'Cannot connect to API: Unable to connect. Is the computer able to access the url?',
        isRetryable: true,
        metadata: { url: error.url },
      },
    };
  }
  const responseBody = JSON.stringify({
    error: { message: error.message, type: error.type, param: null, code: error.code },
  });
  if (error.code === 'context_length_exceeded' || error.status === 413)
    return { name: 'ContextOverflowError', data: { message: error.message, responseBody } };
  return {
    name: 'APIError',
    data: {
      message: error.message,
      statusCode: error.status,
      // The AI SDK's rule, which OpenCode prints.
      isRetryable: [408, 409, 429].includes(error.status) || error.status >= 500,
      responseHeaders: error.headers,
      responseBody,
      metadata: { url: error.url },
    },
  };
}

function claudeMessage(error: HttpFailure): string {
  const status = error.status;
  if (status === null)
    return `API Error: Unable to connect to API (${error.code ?? 'ECONNREFUSED'})`;
  if (status === 401 || status === 403)
    return `Failed to authenticate. API Error: ${status} ${error.message}`;
  if (status === 429) return `API Error: Request rejected (429) · ${error.message}`;
  if (status >= 500) {
    const host = new URL(error.url).host;
    return `API Error: ${status} ${error.message}. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (${host}).`;
  }
  return `API Error: ${status} ${error.message}`;
}

function anthropicType(status: number | null): string | null {
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    402: 'billing_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    500: 'api_error',
    529: 'overloaded_error',
  };
  return status === null ? null : (types[status] ?? 'api_error');
}

function claudeCategory(status: number | null): string {
  if (status === null) return 'unknown';
  if (status === 401 || status === 403) return 'authentication_failed';
  if (status === 402) return 'billing_error';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

/** `CLAUDE_CODE_MAX_RETRIES` as Claude Code reads it (default 10). */
function retryLimit(value: string | undefined): number {
  const parsed = Number.parseInt(value ?? '', 10);
  return Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : 10;
}

/**
 * How long Claude Code 2.1.330 waits before retrying a failure, or `null` when it does not
 * retry it (as observed against the scripted server): a refused connection, 401, 408, 409,
 * 429 and 5xx are retried; a `retry-after` of up to 60 s is waited (a longer one is not
 * retried at all; 0 counts as none), else 500 ms doubling each attempt; plus a random part
 * of up to a quarter.
 */
function claudeRetryDelay(error: HttpFailure, attempt: number): number | null {
  const status = error.status;
  if (status !== null && ![401, 408, 409, 429].includes(status) && status < 500) return null;
  const stated = Number.parseFloat(error.headers['retry-after'] ?? '');
  if (stated > 60) return null;
  const base = stated > 0 ? stated * 1000 : 500 * 2 ** (attempt - 1);
  return Math.round(base + Math.random() * base * 0.25);
}

/** The `error` an `api_retry` notice names the failure by. */
function claudeRetryCategory(status: number | null): string {
  if (status === null) return 'unknown';
  if (status === 401) return 'authentication_failed';
  if (status === 429) return 'rate_limit';
  if (status === 529) return 'overloaded';
  return 'server_error';
}

/**
 * Claude Code's per-model usage of the run. The stand-in has no price list: it marks its cost
 * `costBasis: "unknown"`, as Claude Code 2.1.330 does for a model it has no price for (the
 * scripted server's `baton-test-model`), so Baton prices the tokens by `[pricing]` as it does
 * the real harness's.
 */
function claudeModelUsage(): Record<string, unknown> {
  return {
    [job.model ?? 'stand-in-model']: {
      inputTokens: total.input - total.cached,
      outputTokens: total.output,
      cacheReadInputTokens: total.cached,
      cacheCreationInputTokens: 0,
      thinkingTokens: total.reasoning,
      costUSD: 0,
      costBasis: 'unknown',
    },
  };
}

function tokens(usage: Usage): Record<string, unknown> {
  return {
    total: usage.input + usage.output,
    input: usage.input - usage.cached,
    output: usage.output,
    reasoning: usage.reasoning,
    cache: { write: 0, read: usage.cached },
  };
}

function writeUsage(outcome: Record<string, unknown>): void {
  const path = job.resultFiles.usage;
  if (path === undefined) return;
  writeFileSync(
    path,
    JSON.stringify({
      // No price list here: Hermes's word for a model it could not price.
      estimated_cost_usd: 0,
      cost_status: 'unknown',
      input_tokens: total.input,
      output_tokens: total.output,
      cache_read_tokens: total.cached,
      cache_write_tokens: 0,
      reasoning_tokens: total.reasoning,
      total_tokens: total.input + total.output,
      api_calls: runs.length + 1,
      model: job.model,
      provider: 'custom',
      session_id: session,
      partial: false,
      interrupted: false,
      ...outcome,
    }),
  );
}

function add(into: Usage, usage: Usage): void {
  into.input += usage.input;
  into.cached += usage.cached;
  into.output += usage.output;
  into.reasoning += usage.reasoning;
}

function out(lines: readonly unknown[]): void {
  for (const line of lines)
    process.stdout.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
