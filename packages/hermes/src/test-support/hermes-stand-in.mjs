#!/usr/bin/env node
/**
 * A stand-in for the Hermes Agent CLI, built from its interface and source at 0.21.3
 * (website/docs/reference/cli-commands.md; hermes_cli/main.py `cmd_chat`; cli.py
 * `_run_quiet_single_query`; agent/conversation_loop.py for the error summaries), because the
 * real runtime (a Python package) cannot be installed here. It honours exactly the options
 * the Baton adapter emits, rejects anything else with exit 2 and an argparse-style message,
 * reads the prompt from stdin (`chat --query-file -`) and behaves like `chat -Q`:
 * - stdout carries the final response only; a failed turn's final response is Hermes's
 *   error summary (`HTTP 401: …`, `API call failed after 3 retries: …`);
 * - stderr ends with `session_id: <id>` once a turn ran; `Error: …` for a failure without
 *   a response;
 * - exit 0 for a turn that did not fail (a turn stopped by `--max-turns` included), 1 for a
 *   failed one, 130 when SIGINT/SIGTERM interrupted it;
 * - `--usage-file` is ignored, as 0.21's `chat` ignores it (only `-z` writes the report).
 *   `HERMES_STANDIN_CHAT_USAGE_FILE=1` emulates a later Hermes whose `chat` writes it.
 * Sessions are kept as JSON files under `<home>/sessions/` (Hermes keeps them in SQLite):
 * `--resume <id>` continues one, and the invocation log records the earlier conversation the
 * resumed turn would send to the model.
 *
 * Scripted through the environment:
 *   HERMES_STANDIN_SCRIPT   ok (default) | auth-error | billing | quota | rate-limit |
 *                           server-error | overloaded | network-error | offline |
 *                           context-overflow | error-no-response | not-configured |
 *                           model-refused | turn-cap | crash | garbage | empty |
 *                           empty-sentinel | hang | wait-for-signal
 *   HERMES_STANDIN_REPLY    the final answer text (default: a line naming the prompt's length)
 *   HERMES_STANDIN_SESSION  the id a new session gets (default 20261121_093000_a1b2c3)
 *   HERMES_STANDIN_VERSION  the version `--version` reports (default 0.21.3), or `hang`
 *   HERMES_STANDIN_LOG      a file to append one JSON line per invocation to (argv, stdin,
 *                           the environment variables the adapter sets, cwd, the resumed
 *                           session's earlier messages)
 *
 * Assumptions where neither the documentation nor the source settles a detail are marked
 * ASSUMPTION below.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const USAGE_LINE =
  'usage: hermes [-h] [--version] [-p PROFILE] [--usage-file PATH] [-m MODEL] [--provider PROVIDER] [--reasoning LEVEL] [--resume SESSION] [--yolo] <command> ...';
const CHAT_USAGE_LINE =
  'usage: hermes chat [-h] [-q QUERY | --query-file PATH] [--oneshot] [-m MODEL] [--reasoning LEVEL] [--provider PROVIDER] [-Q] [--resume SESSION_ID] [--yolo] [--source SOURCE] [--max-turns N]';

function argparseError(usage, message) {
  process.stderr.write(`${usage}\n${message}\n`);
  process.exit(2);
}

/** Options per parser: name → { dest, takesValue }. Values may be attached with `=`. */
const TOP_LEVEL = {
  '--version': { dest: 'version' },
  '-V': { dest: 'version' },
  '--usage-file': { dest: 'usageFile', value: 'PATH' },
  '-m': { dest: 'model', value: 'MODEL' },
  '--model': { dest: 'model', value: 'MODEL' },
  '--provider': { dest: 'provider', value: 'PROVIDER' },
  // No `choices`: Hermes warns about a level it does not know and keeps its configured one.
  '--reasoning': { dest: 'reasoning', value: 'LEVEL' },
  '-r': { dest: 'resume', value: 'SESSION' },
  '--resume': { dest: 'resume', value: 'SESSION' },
  '--yolo': { dest: 'yolo' },
};
const CHAT = {
  '-q': { dest: 'query', value: 'QUERY' },
  '--query': { dest: 'query', value: 'QUERY' },
  '--query-file': { dest: 'queryFile', value: 'PATH' },
  '--oneshot': { dest: 'oneshotExit' },
  '-Q': { dest: 'quiet' },
  '--quiet': { dest: 'quiet' },
  '-m': { dest: 'model', value: 'MODEL' },
  '--model': { dest: 'model', value: 'MODEL' },
  '--provider': { dest: 'provider', value: 'PROVIDER' },
  '--reasoning': { dest: 'reasoning', value: 'LEVEL' },
  '-r': { dest: 'resume', value: 'SESSION_ID' },
  '--resume': { dest: 'resume', value: 'SESSION_ID' },
  '--yolo': { dest: 'yolo' },
  '--source': { dest: 'source', value: 'SOURCE' },
  '--max-turns': { dest: 'maxTurns', value: 'N', type: 'int' },
};

function parse(argv) {
  const args = { profile: null };
  const rest = [...argv];
  // `-p/--profile` is consumed before argparse runs (it selects HERMES_HOME), like Hermes does.
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index];
    if (token === 'chat') break;
    if (token === '-p' || token === '--profile') {
      if (index + 1 >= rest.length)
        argparseError(USAGE_LINE, `hermes: error: argument ${token}: expected one argument`);
      args.profile = rest[index + 1];
      rest.splice(index, 2);
      break;
    }
    if (token.startsWith('--profile=')) {
      args.profile = token.slice('--profile='.length);
      rest.splice(index, 1);
      break;
    }
  }
  let parser = TOP_LEVEL;
  let usage = USAGE_LINE;
  args.command = null;
  const unrecognized = [];
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index];
    if (args.command === null && token === 'chat') {
      args.command = 'chat';
      parser = CHAT;
      usage = CHAT_USAGE_LINE;
      continue;
    }
    const [name, attached] =
      token.startsWith('--') && token.includes('=')
        ? [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)]
        : [token, undefined];
    const option = parser[name];
    if (option === undefined) {
      if (token.startsWith('-') && token !== '-') {
        unrecognized.push(token);
        continue;
      }
      if (args.command === null) {
        argparseError(
          usage,
          `hermes: '${token}' is not a \`hermes\` command.\nRun \`hermes --help\` to see all commands.`,
        );
      }
      unrecognized.push(token);
      continue;
    }
    if (option.value === undefined) {
      if (attached !== undefined)
        argparseError(
          usage,
          `hermes: error: argument ${name}: ignored explicit argument '${attached}'`,
        );
      args[option.dest] = true;
      continue;
    }
    let value = attached;
    if (value === undefined) {
      value = rest[index + 1];
      if (value === undefined || (value.startsWith('-') && value !== '-')) {
        argparseError(usage, `hermes: error: argument ${name}: expected one argument`);
      }
      index++;
    }
    if (option.type === 'int') {
      if (!/^-?\d+$/.test(value))
        argparseError(usage, `hermes: error: argument ${name}: invalid int value: '${value}'`);
      value = Number(value);
    }
    if (option.dest === 'query' && args.queryFile !== undefined) {
      argparseError(
        usage,
        'hermes chat: error: argument -q/--query: not allowed with argument --query-file',
      );
    }
    if (option.dest === 'queryFile' && args.query !== undefined) {
      argparseError(
        usage,
        'hermes chat: error: argument --query-file: not allowed with argument -q/--query',
      );
    }
    args[option.dest] = value;
  }
  if (unrecognized.length > 0) {
    argparseError(USAGE_LINE, `hermes: error: unrecognized arguments: ${unrecognized.join(' ')}`);
  }
  return args;
}

function hermesHome(env) {
  if (env.HERMES_HOME) return env.HERMES_HOME;
  return join(env.HOME || homedir(), `.hermes${env.HERMES_DATA_DIR_SUFFIX ?? ''}`);
}

function hang() {
  setInterval(() => {}, 1 << 30);
}

const args = parse(process.argv.slice(2));
const env = process.env;

if (args.version) {
  const version = env.HERMES_STANDIN_VERSION ?? '0.21.3';
  if (version === 'hang') {
    hang();
  } else {
    // The first line's format is the one `hermes --version` documents in its source.
    process.stdout.write(
      `Hermes Agent v${version} (2026.11.14)\nInstall directory: /opt/hermes-agent\nPython: 3.14.0\nOpenAI SDK: 2.24.0\n`,
    );
    process.exit(0);
  }
} else {
  await chat();
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function chat() {
  if (args.command !== 'chat') {
    // ASSUMPTION: without a subcommand the real CLI starts an interactive session; the stand-in
    // only supports the one-shot path the adapter uses.
    process.stderr.write(
      'hermes stand-in: only `hermes chat --query-file - --oneshot -Q` is supported\n',
    );
    process.exit(2);
  }
  let home = hermesHome(env);
  if (args.profile !== null) {
    home = join(home, 'profiles', args.profile);
    let exists = false;
    try {
      exists = statSync(home).isDirectory();
    } catch {
      exists = false;
    }
    if (!exists) {
      // ASSUMPTION: the documentation does not show the message for a missing profile.
      process.stderr.write(
        `Error: profile '${args.profile}' does not exist. Create it with: hermes profile create ${args.profile}\n`,
      );
      process.exit(1);
    }
  }
  let prompt;
  if (args.queryFile === '-') prompt = await readStdin();
  else if (args.queryFile !== undefined) prompt = readFileSync(args.queryFile, 'utf8');
  else if (args.query !== undefined) prompt = args.query;
  if (prompt === undefined || prompt.trim() === '') {
    process.stderr.write('Error: --query-file is empty\n');
    process.exit(2);
  }

  const script = env.HERMES_STANDIN_SCRIPT ?? 'ok';
  if (script === 'not-configured') {
    // hermes_cli/main.py `_first_run_setup_guard`: printed before any session exists.
    process.stdout.write(
      "\nIt looks like Hermes isn't configured yet -- no API keys or providers found.\n\n  Run:  hermes setup\n\n",
    );
    // ASSUMPTION: the wording of `print_noninteractive_setup_guidance`.
    process.stdout.write('No interactive TTY detected for the first-run setup prompt.\n');
    process.exit(1);
  }
  if (script === 'model-refused') {
    // hermes_cli/main.py `_confirm_startup_expensive_model_override`, non-interactive.
    // ASSUMPTION: the warning line before it (`combined_message` of the selection guards).
    process.stderr.write(
      `Warning: ${args.model ?? 'the model'} is an expensive model.\nRefusing this startup model override in non-interactive mode. Run interactively and confirm if you intend to use it.\n`,
    );
    process.exit(1);
  }

  const sessionsDir = join(home, 'sessions');
  let history = [];
  let sessionId = env.HERMES_STANDIN_SESSION ?? '20261121_093000_a1b2c3';
  if (args.resume !== undefined) {
    const stored = readSession(sessionsDir, args.resume);
    if (stored === null) {
      // ASSUMPTION: the wording and exit code; main.py keeps the unknown id so that
      // `_init_agent` reports "Session not found" with it.
      process.stderr.write(`Session not found: ${args.resume}\n`);
      process.exit(1);
    }
    sessionId = args.resume;
    history = stored.messages;
  }

  if (env.HERMES_STANDIN_LOG) {
    const record = {
      argv: process.argv.slice(2),
      stdin: prompt,
      cwd: process.cwd(),
      home,
      history,
      env: Object.fromEntries(
        [
          'HERMES_EPHEMERAL_SYSTEM_PROMPT',
          'HERMES_STREAM_RETRIES',
          'HERMES_WRITE_SAFE_ROOT',
          'OPENAI_BASE_URL',
          'OPENAI_API_KEY',
        ].map((name) => [name, env[name] ?? null]),
      ),
    };
    appendFileSync(env.HERMES_STANDIN_LOG, `${JSON.stringify(record)}\n`);
  }

  const reply =
    env.HERMES_STANDIN_REPLY ??
    `Hermes stand-in answer.\nThe prompt had ${prompt.length} characters.`;
  const base = {
    estimated_cost_usd: 0.0042,
    cost_status: 'estimated',
    cost_source: 'official_docs_snapshot',
    input_tokens: 1200,
    output_tokens: 80,
    cache_read_tokens: 300,
    cache_write_tokens: 0,
    reasoning_tokens: 10,
    total_tokens: 1580,
    api_calls: 1,
    model: args.model ?? 'anthropic/claude-sonnet-4.6',
    provider: args.provider ?? 'openrouter',
    session_id: sessionId,
    completed: true,
    partial: false,
    interrupted: false,
    turn_exit_reason: null,
  };
  const writeUsage = (report) => {
    // 0.21's `cmd_chat` never passes `--usage-file` on: only `-z` writes the report.
    if (args.usageFile === undefined || env.HERMES_STANDIN_CHAT_USAGE_FILE !== '1') return;
    mkdirSync(dirname(args.usageFile), { recursive: true });
    writeFileSync(
      args.usageFile,
      `${JSON.stringify({ ...report, failed: report.failed ?? false, service_tier: null }, null, 2)}\n`,
    );
  };
  const saveTurn = (answer) => {
    mkdirSync(sessionsDir, { recursive: true });
    const messages = [...history, { role: 'user', content: prompt }];
    if (answer !== '') messages.push({ role: 'assistant', content: answer });
    writeFileSync(join(sessionsDir, `${sessionId}.json`), JSON.stringify({ messages }));
  };
  // `_run_quiet_single_query`: the session id goes to stderr once the turn has ended.
  const sessionLine = () => process.stderr.write(`\nsession_id: ${sessionId}\n`);
  const answer = (text, exitCode = 0, report = base) => {
    saveTurn(text);
    writeUsage(report);
    if (text !== '') process.stdout.write(`${text}\n`);
    sessionLine();
    process.exit(exitCode);
  };
  // A failed turn: the conversation loop returns its error summary as the final response,
  // which `-Q` prints to stdout; exit 1 because the result says `failed`.
  const fail = (summary) =>
    answer(summary, 1, {
      ...base,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      reasoning_tokens: 0,
      total_tokens: 0,
      estimated_cost_usd: 0,
      completed: false,
      failed: true,
      failure: summary,
    });

  switch (script) {
    case 'ok':
      answer(reply);
      break;
    case 'auth-error':
      // A 401 is not retried: `_summarize_api_error` gives `HTTP <status>: <body message>`.
      fail('HTTP 401: Invalid API key provided');
      break;
    case 'billing':
      fail('HTTP 402: Insufficient credits. Add more using https://openrouter.ai/settings/credits');
      break;
    case 'quota':
      // OpenAI answers an exhausted quota with 429 `insufficient_quota`; Hermes retries a 429.
      fail(
        'API call failed after 3 retries: HTTP 429: You exceeded your current quota, please check your plan and billing details.',
      );
      break;
    case 'rate-limit':
      fail(
        'API call failed after 3 retries: HTTP 429: Rate limit reached for requests. Please try again in 20s.',
      );
      break;
    case 'server-error':
      fail('API call failed after 3 retries: HTTP 500: Internal server error');
      break;
    case 'overloaded':
      fail('API call failed after 3 retries: HTTP 529: Overloaded');
      break;
    case 'network-error':
      // `openai.APIConnectionError`'s own text.
      fail('API call failed after 3 retries: Connection error.');
      break;
    case 'offline':
      fail(
        "API call failed after 3 retries: Hermes can't reach the model provider. You may be offline. Check your internet connection and try again.",
      );
      break;
    case 'context-overflow':
      fail('Context length exceeded (210,345 tokens). Cannot compress further.');
      break;
    case 'error-no-response':
      // `_run_quiet_single_query`: no response but an error → `Error: …` on stderr.
      saveTurn('');
      process.stderr.write('Error: HTTP 503: Service Unavailable\n');
      sessionLine();
      process.exit(1);
      break;
    case 'turn-cap':
      // The iteration budget ran out: Hermes asks the model for a summary, and `chat -Q`
      // exits 0 because the turn did not fail (`completed: false` shows only in a report).
      answer('I ran out of iterations; the tests still fail in two places.', 0, {
        ...base,
        completed: false,
        turn_exit_reason: `max_iterations_reached(${args.maxTurns ?? 500}/${args.maxTurns ?? 500})`,
      });
      break;
    case 'empty':
      answer('');
      break;
    case 'empty-sentinel':
      // The conversation loop's sentinel when the model returned no content after retries.
      answer('(empty)');
      break;
    case 'crash':
      process.stderr.write(
        'Traceback (most recent call last):\n  File "hermes_cli/main.py", line 1, in <module>\nModuleNotFoundError: No module named \'hermes_cli.oneshot\'\n',
      );
      process.exit(1);
      break;
    case 'garbage':
      if (args.usageFile !== undefined && env.HERMES_STANDIN_CHAT_USAGE_FILE === '1')
        writeFileSync(args.usageFile, '{"input_tokens": 12, "outp');
      process.stdout.write(
        Buffer.from([0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x0a, 0x7b, 0x22, 0x0a]),
      );
      process.exit(0);
      break;
    case 'hang':
      hang();
      break;
    case 'wait-for-signal':
      // `_install_single_query_signal_handlers`: SIGINT/SIGTERM/SIGHUP interrupt the turn,
      // which prints its session id and exits 130.
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
        process.on(signal, () => {
          saveTurn('');
          sessionLine();
          process.exit(130);
        });
      }
      hang();
      break;
    default:
      process.stderr.write(`hermes stand-in: unknown HERMES_STANDIN_SCRIPT ${script}\n`);
      process.exit(70);
  }
}

function readSession(dir, id) {
  if (!/^[\w.-]+$/.test(id) || id.includes('..')) return null;
  try {
    return JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8'));
  } catch {
    return null;
  }
}
