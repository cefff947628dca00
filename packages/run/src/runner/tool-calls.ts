/**
 * Counting a stage's tool calls from its decoded events. Harnesses report a call in different
 * ways — a `started` event then a `completed` one with the same id (Codex, Claude Code), or
 * only the finished call (OpenCode) — and each call counts once whichever way it came.
 */
import type { RuntimeEvent } from '@baton/core';

export class ToolCallCounter {
  private started = new Set<string>();
  private total = 0;

  get count(): number {
    return this.total;
  }

  /** Counts `event` when it is the first sign of a tool call; returns whether it was. */
  see(event: RuntimeEvent): boolean {
    if (event.type !== 'tool-use') return false;
    if (event.status === 'started') {
      if (event.id !== null) {
        if (this.started.has(event.id)) return false;
        this.started.add(event.id);
      }
      this.total += 1;
      return true;
    }
    if (event.id !== null && this.started.has(event.id)) return false;
    if (event.id !== null) this.started.add(event.id);
    this.total += 1;
    return true;
  }
}
