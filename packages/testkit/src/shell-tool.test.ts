import { describe, expect, it } from 'vitest';
import type { DeclaredTool } from './conversation.js';
import { resolveToolCall } from './shell-tool.js';

const codexTools: DeclaredTool[] = [
  { name: 'write_stdin', schema: { properties: { chars: {} } } },
  { name: 'exec_command', schema: { properties: { cmd: {}, workdir: {}, yield_time_ms: {} } } },
];
const claudeTools: DeclaredTool[] = [
  { name: 'Read', schema: { properties: { file_path: {} } } },
  { name: 'Bash', schema: { properties: { command: {}, description: {}, timeout: {} } } },
];
const opencodeTools: DeclaredTool[] = [
  { name: 'bash', schema: { properties: { command: { type: 'string' }, workdir: {} } } },
];

describe('resolveToolCall', () => {
  it("uses each client's shell tool and its argument names", () => {
    const call = { command: 'echo hi' };
    expect(resolveToolCall(call, 'responses', codexTools)).toEqual({
      name: 'exec_command',
      arguments: { cmd: 'echo hi' },
    });
    expect(resolveToolCall(call, 'messages', claudeTools)).toEqual({
      name: 'Bash',
      arguments: { command: 'echo hi', description: 'Run a scripted command' },
    });
    expect(resolveToolCall(call, 'chat', opencodeTools)).toEqual({
      name: 'bash',
      arguments: { command: 'echo hi' },
    });
  });

  it('falls back to the verified defaults when the request declares no tools', () => {
    const call = { command: 'ls', description: 'List files' };
    expect(resolveToolCall(call, 'responses', [])).toEqual({
      name: 'exec_command',
      arguments: { cmd: 'ls' },
    });
    expect(resolveToolCall(call, 'messages', [])).toEqual({
      name: 'Bash',
      arguments: { command: 'ls', description: 'List files' },
    });
    expect(resolveToolCall(call, 'chat', [])).toEqual({
      name: 'bash',
      arguments: { command: 'ls', description: 'List files' },
    });
  });

  it('finds another shell tool by name and follows an array-typed command', () => {
    const tools: DeclaredTool[] = [
      { name: 'shell', schema: { properties: { command: { type: 'array' }, workdir: {} } } },
    ];
    expect(resolveToolCall({ command: 'pwd' }, 'responses', tools)).toEqual({
      name: 'shell',
      arguments: { command: ['bash', '-lc', 'pwd'] },
    });
    expect(
      resolveToolCall({ command: 'pwd' }, 'chat', [{ name: 'terminal', schema: undefined }]),
    ).toEqual({
      name: 'terminal',
      arguments: { command: 'pwd' },
    });
  });

  it('lets the script name the tool and give its arguments', () => {
    expect(
      resolveToolCall({ name: 'Read', arguments: { file_path: '/a' } }, 'messages', claudeTools),
    ).toEqual({ name: 'Read', arguments: { file_path: '/a' } });
    expect(resolveToolCall({ arguments: { cmd: 'x', workdir: '/w' } }, 'responses', [])).toEqual({
      name: 'exec_command',
      arguments: { cmd: 'x', workdir: '/w' },
    });
    expect(resolveToolCall({ name: 'run', command: 'make' }, 'chat', [])).toEqual({
      name: 'run',
      arguments: { command: 'make' },
    });
  });
});
