/**
 * What a tool call is doing, in a few words for a person watching a run: "editing
 * src/cli.ts", "running pnpm test", "searching for parseArgs". Harnesses name their tools
 * differently (Claude Code `Edit`/`Bash`, OpenCode `edit`/`bash`, Codex shell commands and file
 * changes) but their inputs carry the same few things: a command, a file path, a pattern, a URL.
 */

const MAX_TARGET_CHARS = 80;

/** A short description of a tool call from its name and input. */
export function describeToolCall(name: string, input: unknown, workspace: string): string {
  const fields =
    input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const text = (key: string): string | null => {
    const value = fields[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
  };
  const tool = name.toLowerCase();

  const command = commandOf(fields.command ?? fields.cmd);
  if (command !== null) {
    const patched = /^apply_patch\s+(\S+)/.exec(command);
    if (patched) return `editing ${shortPath(patched[1]!, workspace)}`;
    return `running ${cut(command)}`;
  }
  const path =
    text('file_path') ??
    text('filePath') ??
    text('path') ??
    text('notebook_path') ??
    pathOfChanges(fields);
  if (path !== null) {
    const shown = shortPath(path, workspace);
    if (/read|view|cat|open/.test(tool)) return `reading ${shown}`;
    if (/ls|list/.test(tool)) return `listing ${shown}`;
    if (/write|create/.test(tool)) return `writing ${shown}`;
    const others = Array.isArray(fields.changes) ? fields.changes.length - 1 : 0;
    return `editing ${shown}${others > 0 ? ` and ${others} more` : ''}`;
  }
  const pattern = text('pattern') ?? text('query') ?? text('regex');
  if (pattern !== null) {
    if (/web/.test(tool)) return `searching the web for ${cut(pattern)}`;
    return `searching for ${cut(pattern)}`;
  }
  const url = text('url');
  if (url !== null) return `fetching ${cut(url)}`;
  if (/todo/.test(tool)) return 'updating its to-do list';
  if (/task|agent/.test(tool))
    return `delegating: ${cut(text('description') ?? text('prompt') ?? name)}`;
  return `using ${cut(name)}`;
}

/** A shell command as typed: a `bash -lc '…'` wrapper (how Codex runs commands) taken off. */
function commandOf(value: unknown): string | null {
  let command: string | null = null;
  if (typeof value === 'string') command = value;
  else if (Array.isArray(value) && value.every((part) => typeof part === 'string'))
    command = value.join(' ');
  if (command === null || command.trim() === '') return null;
  const wrapped = /^(?:\S*\/)?(?:ba|z)?sh\s+-l?c\s+(['"]?)([\s\S]*)\1$/.exec(command.trim());
  return (wrapped ? wrapped[2]! : command).trim().replace(/\s+/g, ' ');
}

function pathOfChanges(fields: Record<string, unknown>): string | null {
  const changes = fields.changes;
  if (!Array.isArray(changes) || changes.length === 0) return null;
  const first = changes[0] as { path?: unknown } | null;
  return first !== null && typeof first?.path === 'string' ? first.path : null;
}

/** A path shown relative to the workspace when it is inside it. */
function shortPath(path: string, workspace: string): string {
  const base = workspace.endsWith('/') ? workspace : `${workspace}/`;
  return cut(path.startsWith(base) ? path.slice(base.length) : path);
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_TARGET_CHARS ? `${flat.slice(0, MAX_TARGET_CHARS - 1)}…` : flat;
}
