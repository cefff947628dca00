// Adapters for tests: the four runtimes' command shapes and output decoders, pointed at
// the fake runtime executables (fake-runtime.mjs). Plain JavaScript with no imports from
// Baton, so the same module serves in-process tests and the adapter packages a CLI test
// installs into a temporary project's node_modules.
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const FAKE_FORMATS = ['codex', 'claude', 'opencode', 'hermes'];
export const FAKE_RUNTIME_SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  'fake-runtime.mjs',
);

const IDS = { codex: 'codex', claude: 'claude-code', opencode: 'opencode', hermes: 'hermes' };
const NAMES = {
  codex: 'Codex CLI',
  claude: 'Claude Code',
  opencode: 'OpenCode',
  hermes: 'Hermes Agent',
};

/** Writes `fake-<format>` executables (shell wrappers around fake-runtime.mjs) into `directory`. */
export function writeFakeBinaries(directory) {
  mkdirSync(directory, { recursive: true });
  const paths = {};
  for (const format of FAKE_FORMATS) {
    const path = join(directory, `fake-${format}`);
    writeFileSync(
      path,
      `#!/bin/sh\nexec '${process.execPath}' '${FAKE_RUNTIME_SCRIPT}' ${format} "$@"\n`,
    );
    chmodSync(path, 0o755);
    paths[format] = path;
  }
  return paths;
}

/** Installs `baton-adapter-<id>` packages for the fake adapters into `projectRoot/node_modules`. */
export function installFakeAdapterPackages(projectRoot, formats = FAKE_FORMATS) {
  const self = pathToFileURL(fileURLToPath(import.meta.url)).href;
  for (const format of formats) {
    const id = IDS[format];
    const directory = join(projectRoot, 'node_modules', `baton-adapter-${id}`);
    mkdirSync(directory, { recursive: true });
    const adapter = createFakeAdapter(format);
    writeFileSync(
      join(directory, 'package.json'),
      JSON.stringify(
        {
          name: `baton-adapter-${id}`,
          version: '0.0.0',
          type: 'module',
          main: 'index.mjs',
          baton: {
            adapter: { specificationVersion: adapter.specificationVersion, ...adapter.identity },
          },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(directory, 'index.mjs'),
      `import { createFakeAdapter } from ${JSON.stringify(self)};\nexport default createFakeAdapter(${JSON.stringify(format)});\n`,
    );
  }
}

/**
 * What each fake declares (specification v2): like the real adapters, Claude Code caps cost
 * and turns and reports cost, Codex and Claude take efforts, Hermes cannot resume a session.
 */
const CAPABILITIES = {
  codex: {
    resumeSession: true,
    efforts: ['low', 'medium', 'high'],
    costCap: false,
    turnCap: false,
    reportsCost: false,
  },
  claude: {
    resumeSession: true,
    efforts: ['low', 'medium', 'high'],
    costCap: true,
    turnCap: true,
    reportsCost: true,
  },
  opencode: { resumeSession: true, efforts: [], costCap: false, turnCap: false, reportsCost: true },
  hermes: { resumeSession: false, efforts: [], costCap: false, turnCap: true, reportsCost: true },
};

/**
 * @param {'codex'|'claude'|'opencode'|'hermes'} format
 * @param {{ id?: string, naive?: boolean }} [options] `naive`: the decoder trusts a zero exit code
 *   (to check that the runner still fails a stage whose output reported a fatal error).
 */
export function createFakeAdapter(format, options = {}) {
  if (!FAKE_FORMATS.includes(format)) throw new Error(`unknown fake format ${format}`);
  const identity = {
    id: options.id ?? IDS[format],
    aliases: [],
    displayName: `${NAMES[format]} (fake)`,
    binary: `fake-${format}`,
    testedVersions: '>=0.0.0',
    contractChannel: format === 'claude' ? '--append-system-prompt-file' : 'instructions file',
  };
  return {
    specificationVersion: 'baton-adapter-v2',
    identity,
    capabilities: CAPABILITIES[format],
    profile: {
      nativeName: (profile) => `baton-${profile}`,
      describe: (profile) => `fake profile baton-${profile}`,
    },
    doctorChecks: () => doctorChecks(identity),
    buildCommand: (request) => buildCommand(format, identity, request),
    createDecoder: (request) => createDecoder(format, request, options.naive === true),
    nativeConfig: { plan: async () => [], planRevert: async () => [] },
  };
}

function findBinary(identity, context) {
  const wanted = context.settings.binary ?? identity.binary;
  const candidates = wanted.includes('/')
    ? [isAbsolute(wanted) ? wanted : resolve(context.cwd, wanted)]
    : (context.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((directory) => join(directory, wanted));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

function doctorChecks(identity) {
  return [
    {
      id: 'binary',
      async run(context) {
        const path = findBinary(identity, context);
        return path === null
          ? {
              status: 'fail',
              summary: `${context.settings.binary ?? identity.binary} not found`,
              remediation: 'Install it.',
            }
          : { status: 'pass', summary: `found ${path}` };
      },
    },
    {
      id: 'version',
      dependsOn: ['binary'],
      async run(context) {
        const path = findBinary(identity, context);
        const result = spawnSync(path, ['--version'], {
          env: context.env,
          timeout: 5000,
          encoding: 'utf8',
        });
        const version = /\d+\.\d+\.\d+/.exec(result.stdout ?? '')?.[0];
        return version === undefined || result.status !== 0
          ? { status: 'fail', summary: `cannot read the version of ${path}` }
          : { status: 'pass', summary: `version ${version}`, version };
      },
    },
  ];
}

function buildCommand(format, identity, request) {
  const file = request.settings.binary ?? identity.binary;
  const contractFile = join(request.scratchDir, 'contract.md');
  const model = request.model ?? request.settings.model;
  const key = request.settings.apiKeyEnv ? request.env[request.settings.apiKeyEnv] : undefined;
  const base = {
    file,
    cwd: request.cwd,
    stdin: request.prompt,
    inputFiles: { [contractFile]: request.contract },
  };
  switch (format) {
    case 'codex': {
      const secret = key ? [`model_providers.gateway.experimental_bearer_token=${key}`] : [];
      return {
        ...base,
        args: [
          'exec',
          '--json',
          '--skip-git-repo-check',
          '--ephemeral',
          '-C',
          request.cwd,
          '-s',
          request.access === 'full' ? 'danger-full-access' : request.access,
          ...(model ? ['-m', model] : []),
          ...(request.profile ? ['-p', `baton-${request.profile}`] : []),
          '-c',
          `model_instructions_file=${contractFile}`,
          ...(request.effort ? ['-c', `model_reasoning_effort=${request.effort}`] : []),
          ...secret.flatMap((value) => ['-c', value]),
          ...(request.resumeSessionId ? ['resume', request.resumeSessionId] : []),
          '-',
        ],
        env: {},
        secretArgs: secret,
      };
    }
    case 'claude':
      return {
        ...base,
        args: [
          '-p',
          '--output-format',
          'stream-json',
          '--verbose',
          '--permission-mode',
          request.access === 'read-only' ? 'plan' : 'acceptEdits',
          '--append-system-prompt-file',
          contractFile,
          ...(model ? ['--model', model] : []),
          ...(request.effort ? ['--effort', request.effort] : []),
          ...(request.budget?.maxCostUsd !== undefined
            ? ['--max-budget-usd', String(request.budget.maxCostUsd)]
            : []),
          ...(request.budget?.maxTurns !== undefined
            ? ['--max-turns', String(request.budget.maxTurns)]
            : []),
          ...(request.resumeSessionId ? ['--resume', request.resumeSessionId] : []),
        ],
        env: key
          ? {
              ANTHROPIC_API_KEY: key,
              ...(request.settings.baseUrl ? { ANTHROPIC_BASE_URL: request.settings.baseUrl } : {}),
            }
          : {},
      };
    case 'opencode':
      return {
        ...base,
        args: [
          'run',
          '--format',
          'json',
          '--title',
          'baton',
          ...(model ? ['-m', model] : []),
          ...(request.resumeSessionId ? ['--session', request.resumeSessionId] : []),
        ],
        env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ instructions: [contractFile] }) },
      };
    case 'hermes': {
      const usageFile = join(request.scratchDir, 'usage.json');
      return {
        ...base,
        args: [
          'chat',
          '--oneshot',
          '-Q',
          '--source',
          'tool',
          '--query-file',
          '-',
          '--usage-file',
          usageFile,
          ...(model ? ['-m', model] : []),
          ...(request.budget?.maxTurns !== undefined
            ? ['--max-turns', String(request.budget.maxTurns)]
            : []),
        ],
        env: key ? { OPENAI_API_KEY: key } : {},
        resultFiles: { usage: usageFile },
      };
    }
  }
}

function unknownUsage() {
  return {
    known: false,
    inputTokens: null,
    cachedInputTokens: null,
    outputTokens: null,
    reasoningTokens: null,
    totalTokens: null,
    costUsd: null,
  };
}

/** Kind, retryability and failure class, from the words the fake runtimes print. */
function classify(message, status) {
  const retryAfter = /retry after (\d+)s/i.exec(message);
  const retryAfterMs = retryAfter ? Number(retryAfter[1]) * 1000 : null;
  if (/no conversation found|session not found/i.test(message))
    return {
      kind: 'unknown',
      retryable: false,
      failureClass: 'task',
      retryAfterMs: null,
      sessionNotFound: true,
    };
  if (/usage limit|credit balance|quota/i.test(message))
    return { kind: 'rate-limit', retryable: false, failureClass: 'quota_exhausted', retryAfterMs };
  if (status === 401 || status === 403 || /\b401\b|unauthori[sz]ed|authenticat/i.test(message))
    return { kind: 'auth', retryable: false, failureClass: 'auth', retryAfterMs: null };
  if (status === 429 || /\b429\b|rate limit/i.test(message))
    return { kind: 'rate-limit', retryable: true, failureClass: 'rate_limited', retryAfterMs };
  if ((status !== null && status >= 500) || /\b5\d\d\b/.test(message))
    return { kind: 'server', retryable: true, failureClass: 'transient', retryAfterMs: null };
  if (/connection|network|ECONNREFUSED/i.test(message))
    return { kind: 'network', retryable: true, failureClass: 'unavailable', retryAfterMs: null };
  return { kind: 'unknown', retryable: false, failureClass: 'task', retryAfterMs: null };
}

/** A failure the decoder saw itself (no error in the output): a task failure. */
function taskFailure(message) {
  return {
    message,
    kind: 'unknown',
    status: null,
    retryable: false,
    failureClass: 'task',
    retryAfterMs: null,
  };
}

function parse(line) {
  try {
    const value = JSON.parse(line);
    return value !== null && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

function createDecoder(format, _request, naive) {
  let finalText = null;
  let sessionId = null;
  let usage = unknownUsage();
  let error = null;
  let completed = false;
  const texts = [];

  const fail = (message, status, fatal = true, extra = {}) => {
    const { kind, ...facts } = classify(message, status);
    if (fatal) error = { message, kind, status, ...facts, ...extra };
    return { type: 'error', message, kind, status, fatal };
  };
  const outcome = (exit) => {
    if (naive && exit.exitCode === 0) {
      return { status: 'succeeded', finalText, sessionId, usage, error: null };
    }
    if (error) return { status: 'failed', finalText, sessionId, usage, error };
    if (exit.exitCode !== 0) {
      const message = `exited with ${exit.exitCode ?? exit.signal}${exit.stderrTail ? `: ${exit.stderrTail.trim().split('\n').pop()}` : ''}`;
      return { status: 'failed', finalText, sessionId, usage, error: taskFailure(message) };
    }
    if (!completed) {
      return {
        status: 'failed',
        finalText,
        sessionId,
        usage,
        error: taskFailure('ended without a final result'),
      };
    }
    return { status: 'succeeded', finalText, sessionId, usage, error: null };
  };

  switch (format) {
    case 'codex':
      return {
        push(line) {
          const event = parse(line);
          if (event === null)
            return [{ type: 'warning', message: `not JSON: ${line.slice(0, 200)}` }];
          switch (event.type) {
            case 'thread.started':
              sessionId = event.thread_id;
              return [{ type: 'session', sessionId }];
            case 'item.started':
            case 'item.completed': {
              const item = event.item ?? {};
              if (item.type === 'agent_message' && event.type === 'item.completed') {
                finalText = item.text;
                return [{ type: 'text', text: item.text }];
              }
              if (item.type === 'command_execution') {
                return [
                  {
                    type: 'tool-use',
                    name: 'command',
                    id: item.id ?? null,
                    status:
                      event.type === 'item.started'
                        ? 'started'
                        : item.exit_code === 0
                          ? 'completed'
                          : 'failed',
                    input: { command: item.command },
                    output:
                      event.type === 'item.completed' ? (item.aggregated_output ?? null) : null,
                  },
                ];
              }
              if (item.type === 'error') return [{ type: 'warning', message: item.message }];
              return [];
            }
            case 'turn.completed': {
              const u = event.usage ?? {};
              completed = true;
              usage = {
                known: true,
                inputTokens: u.input_tokens ?? null,
                cachedInputTokens: u.cached_input_tokens ?? null,
                outputTokens: u.output_tokens ?? null,
                reasoningTokens: u.reasoning_output_tokens ?? null,
                totalTokens: (u.input_tokens ?? 0) + (u.output_tokens ?? 0),
                costUsd: null,
              };
              return [
                { type: 'usage', usage },
                ...(finalText === null ? [] : [{ type: 'result', text: finalText }]),
              ];
            }
            case 'error':
              return [fail(event.message ?? 'error', null, false)];
            case 'turn.failed':
              return [fail(event.error?.message ?? 'turn failed', null)];
            default:
              return [];
          }
        },
        finish: outcome,
      };
    case 'claude':
      return {
        push(line) {
          const event = parse(line);
          if (event === null)
            return [{ type: 'warning', message: `not JSON: ${line.slice(0, 200)}` }];
          const events = [];
          if (typeof event.session_id === 'string' && sessionId === null) {
            sessionId = event.session_id;
            events.push({ type: 'session', sessionId });
          }
          if (event.type === 'assistant') {
            for (const block of event.message?.content ?? []) {
              if (block.type === 'text') events.push({ type: 'text', text: block.text });
              if (block.type === 'tool_use') {
                events.push({
                  type: 'tool-use',
                  name: block.name,
                  id: block.id ?? null,
                  status: 'started',
                  input: block.input ?? null,
                  output: null,
                });
              }
            }
          } else if (event.type === 'result') {
            const u = event.usage ?? {};
            usage = {
              known: true,
              inputTokens: (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
              cachedInputTokens: u.cache_read_input_tokens ?? null,
              outputTokens: u.output_tokens ?? null,
              reasoningTokens: null,
              totalTokens:
                (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.output_tokens ?? 0),
              costUsd: event.total_cost_usd ?? null,
            };
            events.push({ type: 'usage', usage });
            const limit =
              event.subtype === 'error_max_budget_usd'
                ? { limitReached: 'cost' }
                : event.subtype === 'error_max_turns'
                  ? { limitReached: 'turns' }
                  : {};
            if (event.is_error) {
              events.push(
                fail(
                  event.result ?? event.errors?.[0] ?? 'error',
                  event.api_error_status ?? null,
                  true,
                  limit,
                ),
              );
            } else {
              completed = true;
              finalText = event.result ?? null;
              events.push({ type: 'result', text: finalText ?? '' });
            }
          }
          return events;
        },
        finish: outcome,
      };
    case 'opencode':
      return {
        push(line) {
          const event = parse(line);
          if (event === null)
            return [{ type: 'warning', message: `not JSON: ${line.slice(0, 200)}` }];
          const events = [];
          if (typeof event.sessionID === 'string' && sessionId === null) {
            sessionId = event.sessionID;
            events.push({ type: 'session', sessionId });
          }
          switch (event.type) {
            case 'step_start':
              texts.length = 0;
              break;
            case 'text':
              texts.push(event.part?.text ?? '');
              finalText = texts.join('');
              events.push({ type: 'text', text: event.part?.text ?? '' });
              break;
            case 'tool_use': {
              const state = event.part?.state ?? {};
              events.push({
                type: 'tool-use',
                name: event.part?.tool ?? 'tool',
                id: event.part?.callID ?? null,
                status: state.status === 'error' ? 'failed' : 'completed',
                input: state.input ?? null,
                output: typeof state.output === 'string' ? state.output : null,
              });
              break;
            }
            case 'step_finish': {
              const tokens = event.part?.tokens ?? {};
              const previous = usage.known
                ? usage
                : {
                    inputTokens: 0,
                    outputTokens: 0,
                    totalTokens: 0,
                    cachedInputTokens: 0,
                    reasoningTokens: 0,
                    costUsd: null,
                  };
              const cost = typeof event.part?.cost === 'number' ? event.part.cost : null;
              usage = {
                known: true,
                inputTokens: previous.inputTokens + (tokens.input ?? 0),
                cachedInputTokens: previous.cachedInputTokens + (tokens.cache?.read ?? 0),
                outputTokens: previous.outputTokens + (tokens.output ?? 0),
                reasoningTokens: previous.reasoningTokens + (tokens.reasoning ?? 0),
                totalTokens: previous.totalTokens + (tokens.total ?? 0),
                costUsd: cost === null ? previous.costUsd : (previous.costUsd ?? 0) + cost,
              };
              if (event.part?.reason === 'stop') completed = true;
              events.push({ type: 'usage', usage });
              break;
            }
            case 'error': {
              const data = event.error?.data ?? {};
              const failure = fail(
                data.message ?? event.error?.name ?? 'error',
                data.statusCode ?? null,
              );
              if (typeof data.isRetryable === 'boolean' && error.failureClass !== 'quota_exhausted')
                error = { ...error, retryable: data.isRetryable };
              events.push(failure);
              break;
            }
          }
          return events;
        },
        finish: outcome,
      };
    case 'hermes':
      return {
        // Hermes prints its answer line by line: each line is a piece of one message.
        push(line) {
          texts.push(line);
          return [{ type: 'text', text: texts.length > 1 ? `\n${line}` : line, partial: true }];
        },
        finish(exit) {
          const text = texts.join('\n').trim();
          finalText = text === '' ? null : text;
          const raw = exit.resultFiles.usage;
          const report = raw ? parse(raw) : null;
          if (report) {
            sessionId = report.session_id ?? null;
            usage = {
              known: true,
              inputTokens: (report.input_tokens ?? 0) + (report.cache_read_tokens ?? 0),
              cachedInputTokens: report.cache_read_tokens ?? null,
              outputTokens: report.output_tokens ?? null,
              reasoningTokens: report.reasoning_tokens ?? null,
              totalTokens: report.total_tokens ?? null,
              costUsd: report.estimated_cost_usd ?? null,
            };
            if (report.failed) {
              const { kind, ...facts } = classify(
                report.error ?? 'hermes reported a failed run',
                null,
              );
              error = {
                message: report.error ?? 'hermes reported a failed run',
                kind,
                status: null,
                ...facts,
              };
            }
            completed = report.completed === true;
          }
          return outcome(exit);
        },
      };
  }
}
