#!/usr/bin/env node
// A stand-in for a runtime CLI: prints the real machine-readable output of Codex, Claude
// Code or OpenCode (captured lines from __fixtures__/, with the final text, session id and
// usage substituted) or Hermes's documented text-plus-usage-file output, and misbehaves
// on request (hangs, spawns a hanging helper, exits 0 after reporting an error, floods).
//
// Usage: fake-runtime.mjs <codex|claude|opencode|hermes> [runtime args...]
// Behaviour comes from the JSON file named by FAKE_PLAN: { "<stage>@<format>" | "<stage>" | "*": Behaviour },
// where Behaviour may hold `attempts: [Behaviour, ...]` (one per invocation, the last repeating).
// Every invocation is logged to FAKE_LOG (JSONL) and its pids to FAKE_STATE_DIR/pids.jsonl.
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__');
const format = process.argv[2];
const args = process.argv.slice(3);
const VERSIONS = {
  codex: 'codex-cli 0.169.0',
  claude: '2.1.330 (Claude Code)',
  opencode: '1.18.33',
  hermes: 'Hermes Agent v0.21.5',
};

if (!(format in VERSIONS)) {
  process.stderr.write(`fake-runtime: unknown format ${format}\n`);
  process.exit(2);
}
if (args.includes('--version')) {
  process.stdout.write(`${VERSIONS[format]}\n`);
  process.exit(0);
}

const stage = process.env.BATON_STAGE ?? 'unknown';
const stateDir = process.env.FAKE_STATE_DIR ?? null;
const behaviour = pickBehaviour();
const stdin = await readStdin();
// A resumed session keeps its id, as the real CLIs do.
const resumedSession = resumeArgument(args);
const sessionId = resumedSession ?? `${format}-session-${stage}`;

if (process.env.FAKE_LOG) {
  appendFileSync(
    process.env.FAKE_LOG,
    `${JSON.stringify({
      format,
      stage,
      args,
      stdin,
      pid: process.pid,
      cwd: process.cwd(),
      depth: process.env.BATON_DEPTH ?? null,
      runId: process.env.BATON_RUN_ID ?? null,
    })}\n`,
  );
}
recordPid({ role: 'runtime', pid: process.pid });

if (behaviour.ignoreTerm) process.on('SIGTERM', () => {});
if (behaviour.stderr) process.stderr.write(`${behaviour.stderr}\n`);
if (behaviour.crash) process.kill(process.pid, 'SIGKILL');
if (behaviour.spawnChild) spawnHangingChild(behaviour.childIgnoresTerm === true);
if (behaviour.sessionHelperSeconds) spawnSessionHelper(behaviour.sessionHelperSeconds);
if (behaviour.startedFile) writeFileSync(behaviour.startedFile, String(process.pid));
if (behaviour.appendFile) appendFileSync(behaviour.appendFile, '# changed\n');
if (behaviour.recordWorkspace) recordWorkspace(behaviour.recordWorkspace);
if (behaviour.files) changeFiles(behaviour.files);

const finalText = behaviour.final ?? defaultFinal();
const echoed = behaviour.echoEnv
  ? ` [${behaviour.echoEnv}=${process.env[behaviour.echoEnv] ?? ''}]`
  : '';
const text = finalText + echoed;

if (behaviour.floodBytes) await flood(behaviour.floodBytes);
if (behaviour.hang) {
  writeLines(openingLines());
  setInterval(() => {}, 60_000);
  await new Promise(() => {});
}
if (behaviour.tools) await useTools(behaviour.tools, behaviour.toolIntervalMs ?? 0);
if (behaviour.sleepMs) await new Promise((resolve) => setTimeout(resolve, behaviour.sleepMs));
if (resumedSession !== null && behaviour.unknownSession) {
  writeLines(failureLines('session'));
  process.exitCode = 1;
} else if (behaviour.limit) {
  writeLines(limitLines(behaviour.limit));
  process.exitCode = 1;
} else if (behaviour.fail) {
  writeLines(failureLines(behaviour.status ?? 401));
  process.exitCode = behaviour.exitCode ?? 1;
} else {
  writeLines(successLines(text));
  process.exitCode = behaviour.exitCode ?? 0;
}

function pickBehaviour() {
  if (!process.env.FAKE_PLAN) return {};
  const plan = JSON.parse(readFileSync(process.env.FAKE_PLAN, 'utf8'));
  // `<stage>@<format>` (one runtime's behaviour at a stage), else `<stage>`, else `*`.
  const key = [`${stage}@${format}`, stage, '*'].find((name) => plan[name] !== undefined);
  const entry = key === undefined ? {} : plan[key];
  if (!Array.isArray(entry.attempts)) return entry;
  let count = 0;
  if (stateDir) {
    const counter = join(stateDir, `${key}.count`);
    count = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0;
    writeFileSync(counter, String(count + 1));
  }
  return entry.attempts[Math.min(count, entry.attempts.length - 1)] ?? {};
}

function defaultFinal() {
  const base = `${format} finished ${stage}`;
  return stage === 'evaluate' ? `${base}\nAll criteria met.\nVERDICT: PASS` : base;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function recordPid(entry) {
  if (stateDir)
    appendFileSync(
      join(stateDir, 'pids.jsonl'),
      `${JSON.stringify({ ...entry, stage, format })}\n`,
    );
}

function spawnHangingChild(ignoreTerm) {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  recordPid({ role: 'child', pid: child.pid });
}

/** A helper in a new session (out of the runtime's process group) that inherits stdout and stderr. */
function spawnSessionHelper(seconds) {
  const helper = spawn('setsid', ['sleep', String(seconds)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  recordPid({ role: 'session-helper', pid: helper.pid });
  waitForOwnSession(helper.pid);
  // The runtime exits without waiting for it, as a daemonising CLI does.
  helper.unref();
}

/**
 * Until the helper has called setsid() it is still in this runtime's process group, and the
 * runner's stop of the group at exit would kill it before it escapes: wait (bounded) for it.
 */
function waitForOwnSession(pid) {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let tries = 0; tries < 500; tries++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const session = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3];
      if (Number(session) === pid) return;
    } catch {
      return;
    }
    Atomics.wait(pause, 0, 0, 10);
  }
}

function fixtureLines(name) {
  return readFileSync(join(fixtures, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

function writeLines(lines) {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

/** What a runtime prints before its real work starts (a hang happens after these). */
function openingLines() {
  switch (format) {
    case 'codex':
      return successLines('').slice(0, 3);
    case 'claude':
      return successLines('').slice(0, 1);
    case 'opencode':
      return successLines('').slice(0, 1);
    default:
      return [];
  }
}

function successLines(final) {
  switch (format) {
    case 'codex':
      return fixtureLines('codex-0.169.0-exec-json-toolcall.jsonl').map((line) => {
        const event = JSON.parse(line);
        if (event.type === 'thread.started') event.thread_id = sessionId;
        if (event.item?.type === 'agent_message') event.item.text = final;
        if (event.type === 'turn.completed' && behaviour.usage) {
          event.usage.input_tokens = behaviour.usage.input;
          event.usage.output_tokens = behaviour.usage.output;
        }
        return JSON.stringify(event);
      });
    case 'claude':
      return fixtureLines('claude-code-2.1.330-stream-json-simple.jsonl').map((line) => {
        const event = JSON.parse(line);
        event.session_id = sessionId;
        if (event.type === 'assistant') event.message.content = [{ type: 'text', text: final }];
        if (event.type === 'result') {
          event.result = final;
          if (behaviour.usage) {
            event.usage = {
              input_tokens: behaviour.usage.input,
              output_tokens: behaviour.usage.output,
              cache_read_input_tokens: 0,
            };
            event.total_cost_usd = behaviour.usage.cost ?? null;
          }
        }
        return JSON.stringify(event);
      });
    case 'opencode': {
      let steps = 0;
      return fixtureLines('opencode-1.18.33-run-json-toolcall.jsonl').map((line) => {
        const event = JSON.parse(line);
        event.sessionID = sessionId;
        event.part.sessionID = sessionId;
        if (event.type === 'text') event.part.text = final;
        // The whole override on the first step, nothing on the others.
        if (event.type === 'step_finish' && behaviour.usage) {
          const first = steps++ === 0;
          const input = first ? behaviour.usage.input : 0;
          const output = first ? behaviour.usage.output : 0;
          event.part.tokens = {
            total: input + output,
            input,
            output,
            reasoning: 0,
            cache: { write: 0, read: 0 },
          };
          event.part.cost = first ? (behaviour.usage.cost ?? 0) : 0;
        }
        return JSON.stringify(event);
      });
    }
    case 'hermes': {
      writeUsageFile({ completed: true, failed: false });
      return final.split('\n');
    }
  }
}

/** The session id the command asks to continue: `resume <id>`, `--resume <id>`, `--session <id>`. */
function resumeArgument(argv) {
  for (const flag of ['resume', '--resume', '--session']) {
    const index = argv.indexOf(flag);
    if (index !== -1 && index + 1 < argv.length) return argv[index + 1];
  }
  return null;
}

/**
 * Appends to `file` (JSONL) every file of the working directory with its text, Git's and
 * Baton's folders left out: the workspace exactly as this attempt found it.
 */
function recordWorkspace(file) {
  const files = {};
  const walk = (directory, prefix) => {
    for (const name of readdirSync(directory).sort()) {
      if (prefix === '' && (name === '.git' || name === '.baton')) continue;
      const path = join(directory, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      if (statSync(path).isDirectory()) walk(path, rel);
      else files[rel] = readFileSync(path, 'utf8');
    }
  };
  walk(process.cwd(), '');
  appendFileSync(file, `${JSON.stringify({ format, stage, files })}\n`);
}

/** Writes and deletes files in the working directory, as an agent's tools would. */
function changeFiles(files) {
  for (const [path, text] of Object.entries(files.write ?? {})) {
    mkdirSync(dirname(join(process.cwd(), path)), { recursive: true });
    writeFileSync(join(process.cwd(), path), text);
  }
  for (const path of files.remove ?? []) rmSync(join(process.cwd(), path), { force: true });
}

/** The words of a failure: an HTTP status, a usage limit (`quota`), an unknown session. */
function failureMessage(status) {
  const after = behaviour.retryAfterSeconds ? ` (retry after ${behaviour.retryAfterSeconds}s)` : '';
  if (status === 'quota') return `You've hit your usage limit. Try again later.${after}`;
  if (status === 'session') return `No conversation found with session ID: ${resumedSession}`;
  return `stub forced ${status}${after}`;
}

/** Claude Code stopped by its own cap: `--max-budget-usd` (cost) or `--max-turns` (turns). */
function limitLines(limit) {
  const result = JSON.parse(
    fixtureLines('claude-code-2.1.330-stream-json-simple.jsonl').findLast(
      (line) => JSON.parse(line).type === 'result',
    ),
  );
  return [
    JSON.stringify({ ...JSON.parse(successLines('')[0]) }),
    JSON.stringify({
      ...result,
      session_id: sessionId,
      subtype: limit === 'cost' ? 'error_max_budget_usd' : 'error_max_turns',
      is_error: true,
      result: undefined,
      errors: [limit === 'cost' ? 'Reached maximum budget' : 'Reached maximum number of turns'],
      total_cost_usd: behaviour.usage?.cost ?? result.total_cost_usd,
    }),
  ];
}

function failureLines(status) {
  const message = failureMessage(status);
  switch (format) {
    case 'codex': {
      const lines = fixtureLines('codex-0.169.0-exec-json-connection-failed.txt');
      // The first two lines of the capture are what codex prints on stderr.
      process.stderr.write(`${lines.slice(0, 2).join('\n')}\n`);
      return lines.slice(2).map((line) => {
        const event = JSON.parse(line);
        if (event.type === 'thread.started') event.thread_id = sessionId;
        if (status !== 'network') {
          const text =
            typeof status === 'number'
              ? `unexpected status ${status} ${status === 401 ? 'Unauthorized' : 'Error'}: ${message}`
              : message;
          if (event.type === 'error') event.message = text;
          if (event.type === 'turn.failed') event.error.message = text;
        }
        return JSON.stringify(event);
      });
    }
    case 'claude': {
      const event = JSON.parse(fixtureLines('claude-code-2.1.330-json-401.json')[0]);
      event.session_id = sessionId;
      event.api_error_status = typeof status === 'number' ? status : null;
      event.result = typeof status === 'number' ? `API Error: ${status} ${message}` : message;
      return [JSON.stringify(event)];
    }
    case 'opencode':
      return fixtureLines('opencode-1.18.33-run-json-401.jsonl').map((line) => {
        const event = JSON.parse(line);
        event.sessionID = sessionId;
        event.error.data.statusCode = typeof status === 'number' ? status : undefined;
        event.error.data.message = message;
        event.error.data.isRetryable = status === 429 || status >= 500;
        return JSON.stringify(event);
      });
    case 'hermes':
      writeUsageFile({ completed: false, failed: true, error: message });
      return [];
  }
}

function writeUsageFile(outcome) {
  const index = args.indexOf('--usage-file');
  if (index === -1) return;
  writeFileSync(
    args[index + 1],
    JSON.stringify({
      estimated_cost_usd: behaviour.usage ? (behaviour.usage.cost ?? null) : 0.0002,
      input_tokens: behaviour.usage?.input ?? 11,
      output_tokens: behaviour.usage?.output ?? 7,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      total_tokens: behaviour.usage ? behaviour.usage.input + behaviour.usage.output : 18,
      api_calls: 1,
      model: 'stub-model',
      provider: 'custom:stub',
      session_id: sessionId,
      ...outcome,
    }),
  );
}

/**
 * Tool calls in the runtime's own format, `intervalMs` apart: `{ kind: 'edit', target: path }`
 * (an edit of a file) or `{ kind: 'command', target: 'pnpm test' }` (a shell command).
 */
async function useTools(tools, intervalMs) {
  for (const [index, tool] of tools.entries()) {
    if (index > 0 && intervalMs > 0)
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    writeLines(toolLines(tool, `call_${index + 1}`));
  }
  if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

function toolLines(tool, id) {
  const edit = tool.kind === 'edit';
  switch (format) {
    case 'codex': {
      const item = {
        id,
        type: 'command_execution',
        command: edit ? `apply_patch ${tool.target}` : `/bin/bash -lc '${tool.target}'`,
        aggregated_output: '',
        exit_code: null,
        status: 'in_progress',
      };
      return [
        JSON.stringify({ type: 'item.started', item }),
        JSON.stringify({
          type: 'item.completed',
          item: { ...item, aggregated_output: 'ok\n', exit_code: 0, status: 'completed' },
        }),
      ];
    }
    case 'claude':
      return [
        JSON.stringify({
          type: 'assistant',
          session_id: sessionId,
          message: {
            content: [
              {
                type: 'tool_use',
                id,
                name: edit ? 'Edit' : 'Bash',
                input: edit
                  ? {
                      file_path: join(process.cwd(), tool.target),
                      old_string: 'a',
                      new_string: 'b',
                    }
                  : { command: tool.target, description: 'run it' },
              },
            ],
          },
        }),
      ];
    case 'opencode':
      return [
        JSON.stringify({
          type: 'tool_use',
          sessionID: sessionId,
          part: {
            type: 'tool',
            tool: edit ? 'edit' : 'bash',
            callID: id,
            sessionID: sessionId,
            state: {
              status: 'completed',
              input: edit
                ? { filePath: join(process.cwd(), tool.target) }
                : { command: tool.target },
              output: 'ok',
            },
          },
        }),
      ];
    default:
      return [];
  }
}

/** Prints `bytes` of output in the runtime's format, honouring back-pressure. */
async function flood(bytes) {
  const filler = 'x'.repeat(900);
  const line = (index) => {
    switch (format) {
      case 'codex':
        return JSON.stringify({
          type: 'item.completed',
          item: { id: `item_${index}`, type: 'agent_message', text: filler },
        });
      case 'claude':
        return JSON.stringify({
          type: 'assistant',
          message: { content: [{ type: 'text', text: filler }] },
          session_id: sessionId,
        });
      case 'opencode':
        return JSON.stringify({
          type: 'text',
          sessionID: sessionId,
          part: { type: 'text', text: filler },
        });
      default:
        return filler;
    }
  };
  let written = 0;
  let index = 0;
  while (written < bytes) {
    const block = [];
    let size = 0;
    while (size < 65536) {
      const next = `${line(index++)}\n`;
      block.push(next);
      size += next.length;
    }
    const chunk = block.join('');
    written += chunk.length;
    if (!process.stdout.write(chunk))
      await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}
