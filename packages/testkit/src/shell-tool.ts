import type { ApiKind, DeclaredTool } from './conversation.js';
import { isRecord } from './conversation.js';
import type { ToolCallTurn } from './script.js';

/** The tool call as it goes on the wire: a name and a JSON object of arguments. */
export interface ResolvedToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** Each client's shell tool when the request declares none (verified against the real CLIs). */
const DEFAULT_SHELL_TOOL: Record<ApiKind, string> = {
  responses: 'exec_command',
  messages: 'Bash',
  chat: 'bash',
};

// Other names clients give their shell tool; tried after the API's default, in this order.
const SHELL_TOOL_NAMES = ['exec_command', 'shell_command', 'shell', 'Bash', 'bash', 'terminal'];

const DEFAULT_DESCRIPTION = 'Run a scripted command';

/**
 * Turns a scripted tool call into the call this client can run. The arguments follow the
 * tool's declared JSON Schema where the request has one (`cmd` for Codex, `command` plus
 * `description` for Claude Code and OpenCode), so the same script drives every client.
 */
export function resolveToolCall(
  call: ToolCallTurn['toolCall'],
  api: ApiKind,
  declared: readonly DeclaredTool[],
): ResolvedToolCall {
  const tool =
    call.name === undefined ? pickShellTool(api, declared) : findTool(call.name, declared);
  const name = call.name ?? tool?.name ?? DEFAULT_SHELL_TOOL[api];
  if (call.arguments !== undefined) return { name, arguments: call.arguments };
  const description = call.description ?? DEFAULT_DESCRIPTION;
  return {
    name,
    arguments:
      argumentsFromSchema(tool?.schema, call.command, description) ??
      argumentsByName(name, call.command, description),
  };
}

function pickShellTool(api: ApiKind, declared: readonly DeclaredTool[]): DeclaredTool | undefined {
  for (const name of [DEFAULT_SHELL_TOOL[api], ...SHELL_TOOL_NAMES]) {
    const tool = findTool(name, declared);
    if (tool !== undefined) return tool;
  }
  return undefined;
}

function findTool(name: string, declared: readonly DeclaredTool[]): DeclaredTool | undefined {
  return declared.find((tool) => tool.name === name);
}

function argumentsFromSchema(
  schema: Record<string, unknown> | undefined,
  command: string,
  description: string,
): Record<string, unknown> | undefined {
  const properties = schema?.['properties'];
  if (!isRecord(properties)) return undefined;
  const args: Record<string, unknown> = {};
  const commandProperty = properties['command'];
  if ('cmd' in properties) args['cmd'] = command;
  else if (isRecord(commandProperty) && commandProperty['type'] === 'array') {
    args['command'] = ['bash', '-lc', command];
  } else if (commandProperty !== undefined) args['command'] = command;
  else return undefined;
  if ('description' in properties) args['description'] = description;
  return args;
}

function argumentsByName(
  name: string,
  command: string,
  description: string,
): Record<string, unknown> {
  switch (name) {
    case 'exec_command':
      return { cmd: command };
    case 'shell':
      return { command: ['bash', '-lc', command] };
    case 'Bash':
    case 'bash':
      return { command, description };
    default:
      return { command };
  }
}
