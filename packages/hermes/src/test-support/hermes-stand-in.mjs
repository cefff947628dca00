#!/usr/bin/env node
/**
 * A stand-in for the Hermes Agent CLI, built from its documented interface (Hermes 0.21
 * docs: website/docs/reference/cli-commands.md and the argparse definitions they describe),
 * because the real runtime (a Python package) cannot be installed here. It honours exactly
 * the options the Baton adapter emits, rejects anything else with exit 2 and an
 * argparse-style message, reads the prompt from stdin (`chat --query-file -`), prints the
 * final answer only, and writes the documented `--usage-file` JSON report.
 *
 * Scripted through the environment:
 *   HERMES_STANDIN_SCRIPT   ok (default) | auth-error | server-error | rate-limit |
 *                           network-error | failed-exit0 | partial | no-usage | crash |
 *                           garbage | empty | hang
 *   HERMES_STANDIN_REPLY    the final answer text (default: a line naming the prompt's length)
 *   HERMES_STANDIN_VERSION  the version `--version` reports (default 0.21.3), or `hang`
 *   HERMES_STANDIN_LOG      a file to append one JSON line per invocation to (argv, stdin,
 *                           the environment variables the adapter sets, cwd)
 *
 * Assumptions where the documentation is silent are marked ASSUMPTION below.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const USAGE_LINE =
  'usage: hermes [-h] [--version] [-p PROFILE] [--usage-file PATH] [-m MODEL] [--provider PROVIDER] [--resume SESSION] [--yolo] <command> ...';
const CHAT_USAGE_LINE =
  'usage: hermes chat [-h] [-q QUERY | --query-file PATH] [--oneshot] [-m MODEL] [--provider PROVIDER] [-Q] [--resume SESSION_ID] [--yolo] [--source SOURCE] [--max-turns N]';

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

  if (env.HERMES_STANDIN_LOG) {
    const record = {
      argv: process.argv.slice(2),
      stdin: prompt,
      cwd: process.cwd(),
      home,
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

  const script = env.HERMES_STANDIN_SCRIPT ?? 'ok';
  const sessionId = args.resume ?? '20261121_093000_a1b2c3';
  const reply =
    env.HERMES_STANDIN_REPLY ??
    `Hermes stand-in answer.\nThe prompt had ${prompt.length} characters.`;
  const base = {
    estimated_cost_usd: 0.0042,
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
    service_tier: null,
    completed: true,
    failed: false,
    partial: false,
    interrupted: false,
    turn_exit_reason: null,
  };
  const writeUsage = (report) => {
    if (args.usageFile === undefined) return;
    // ASSUMPTION: Hermes documents the report for `-z`/`--oneshot`; the stand-in writes it
    // for `chat --oneshot` too (see the adapter README, "Known limits").
    mkdirSync(dirname(args.usageFile), { recursive: true });
    writeFileSync(args.usageFile, `${JSON.stringify(report, null, 2)}\n`);
  };
  const failedReport = (failure) => ({
    ...base,
    input_tokens: 1200,
    output_tokens: 0,
    cache_read_tokens: 0,
    reasoning_tokens: 0,
    total_tokens: 1200,
    completed: false,
    failed: true,
    failure,
  });
  // In quiet mode the session id goes to stderr after the answer (not documented; seen in cli.py).
  const sessionLine = () => process.stderr.write(`\nsession_id: ${sessionId}\n`);
  const fail = (failure) => {
    writeUsage(failedReport(failure));
    process.stderr.write(`Error: ${failure}\n`);
    process.exit(1);
  };

  switch (script) {
    case 'ok':
      writeUsage(base);
      process.stdout.write(`${reply}\n`);
      sessionLine();
      process.exit(0);
      break;
    case 'no-usage':
      process.stdout.write(`${reply}\n`);
      sessionLine();
      process.exit(0);
      break;
    case 'auth-error':
      fail(
        "Error code: 401 - {'error': {'message': 'Invalid API key provided', 'type': 'invalid_request_error', 'code': 'invalid_api_key'}}",
      );
      break;
    case 'rate-limit':
      fail(
        "Error code: 429 - {'error': {'message': 'Rate limit reached', 'type': 'rate_limit_error'}}",
      );
      break;
    case 'server-error':
      fail(
        "Error code: 500 - {'error': {'message': 'Internal server error', 'type': 'server_error'}}",
      );
      break;
    case 'network-error':
      fail('Connection error.');
      break;
    case 'failed-exit0':
      writeUsage(failedReport("Error code: 503 - {'error': {'message': 'upstream overloaded'}}"));
      process.stdout.write('I could not finish: the provider returned an error.\n');
      process.exit(0);
      break;
    case 'partial':
      writeUsage({ ...base, completed: false, partial: true, turn_exit_reason: 'max_turns' });
      process.stdout.write('Stopped after the turn limit; the work is half done.\n');
      process.exit(2);
      break;
    case 'empty':
      writeUsage(base);
      process.exit(0);
      break;
    case 'crash':
      process.stderr.write(
        'Traceback (most recent call last):\n  File "hermes_cli/main.py", line 1, in <module>\nModuleNotFoundError: No module named \'hermes_cli.oneshot\'\n',
      );
      process.exit(1);
      break;
    case 'garbage':
      if (args.usageFile !== undefined) writeFileSync(args.usageFile, '{"input_tokens": 12, "outp');
      process.stdout.write(
        Buffer.from([0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x0a, 0x7b, 0x22, 0x0a]),
      );
      process.exit(0);
      break;
    case 'hang':
      hang();
      break;
    default:
      process.stderr.write(`hermes stand-in: unknown HERMES_STANDIN_SCRIPT ${script}\n`);
      process.exit(70);
  }
}
