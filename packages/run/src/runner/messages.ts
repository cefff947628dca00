/**
 * Messages streamed in pieces become one message. A harness that streams its answer (a
 * LiteLLM proxy's token deltas, a harness's partial messages) emits `text` events marked
 * `partial`; journaling each piece would turn one reflection into a thousand one-word events
 * and hit the per-stage event cap. The pieces are joined here: the journal gets one `text`
 * event per message, and a watcher sees the message grow.
 */
import type { RuntimeEvent } from '@baton/core';

/** Longest message held while it is being written; the rest is counted, not kept. */
export const MAX_MESSAGE_CHARS = 64_000;
/** How much of a message still being written is shown: its first words say what it is about. */
export const SHOWN_WHILE_WRITING = 400;

export interface JoinedEvents {
  /** Events to record: whole messages and every other event, in order. */
  readonly record: RuntimeEvent[];
  /**
   * Events to show while the stage runs: every recorded event, plus, while a streamed message
   * grows, `partial` text events carrying its beginning so far (up to `SHOWN_WHILE_WRITING`
   * characters, cut after a whitespace).
   */
  readonly show: RuntimeEvent[];
}

export class MessageJoiner {
  private text = '';
  private omitted = 0;
  private shownLength = 0;

  /** Takes one decoded event; returns what to record and what to show because of it. */
  push(event: RuntimeEvent): JoinedEvents {
    if (event.type === 'text' && event.partial === true) return this.grow(event.text);
    const flushed = this.flush();
    const whole: RuntimeEvent =
      event.type === 'text' && event.partial !== undefined
        ? { type: 'text', text: event.text }
        : event;
    return { record: [...flushed.record, whole], show: [...flushed.show, whole] };
  }

  /** Ends the message being written (the stage ended, another event came): records it whole. */
  flush(): JoinedEvents {
    if (this.text === '' && this.omitted === 0) return { record: [], show: [] };
    const text =
      this.text + (this.omitted > 0 ? `[... ${this.omitted} more characters of this message]` : '');
    this.text = '';
    this.omitted = 0;
    this.shownLength = 0;
    const message: RuntimeEvent = { type: 'text', text };
    return { record: [message], show: [message] };
  }

  private grow(piece: string): JoinedEvents {
    const room = MAX_MESSAGE_CHARS - this.text.length;
    const kept = piece.length > room ? piece.slice(0, room) : piece;
    this.omitted += piece.length - kept.length;
    const before = this.text.length;
    this.text += kept;
    if (this.shownLength >= SHOWN_WHILE_WRITING) return { record: [], show: [] };
    // What is shown stops after a whitespace: a word still arriving may be the first half of
    // a secret, which the redactor can only recognise once it is whole.
    const window = kept.slice(0, Math.max(SHOWN_WHILE_WRITING - before, 0));
    const cut = lastWhitespace(window);
    if (cut === -1) return { record: [], show: [] };
    this.shownLength = before + cut + 1;
    return {
      record: [],
      show: [{ type: 'text', text: this.text.slice(0, this.shownLength), partial: true }],
    };
  }
}

/** Index of the last whitespace character of `text`, or -1. */
function lastWhitespace(text: string): number {
  for (let index = text.length - 1; index >= 0; index--) {
    if (/\s/.test(text[index]!)) return index;
  }
  return -1;
}
