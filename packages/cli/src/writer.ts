/**
 * The CLI's one way to write. Commands get a `Writer` for stdout and one for stderr, never
 * the streams themselves, so nothing they print can skip these rules:
 * - human-readable text is redacted the way the journal is (secret values of the
 *   environment and of `api_key_env`, credential shapes) and made inert for a terminal
 *   (`terminal-text.ts`): a secret or an escape sequence from a runtime's output, the goal,
 *   the journal or a config file never reaches the terminal as it is;
 * - JSON is redacted and otherwise exact (JSON escapes control characters itself);
 * - a reader that goes away (`baton runs | head`) ends the output quietly: the failed
 *   write (EPIPE) marks the writer closed, later output is dropped, and the command goes on
 *   to its own exit code — a run is never stopped because nobody reads its progress;
 * - on a terminal, one status line may be kept at the bottom and updated in place (a run's
 *   live progress); the writer is the only one to emit the cursor controls that does, and
 *   every other line it writes goes above the status line.
 */
import { type BatonConfig, createRedactor, type Environment, type Redactor } from '@baton/core';
import { renderForTerminal } from './terminal-text.js';

/** A stream the CLI writes to; tests pass their own. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  readonly destroyed?: boolean;
}

/** The secrets every writer removes: the environment's from the start, the config's once loaded. */
export class Secrets {
  private readonly env: Environment;
  private current: Redactor;

  constructor(env: Environment) {
    this.env = env;
    this.current = createRedactor({ env });
  }

  get redactor(): Redactor {
    return this.current;
  }

  /** Adds the values of the variables the config names as keys (`api_key_env`). */
  learn(config: Pick<BatonConfig, 'runtimes'>): void {
    this.current = createRedactor({ env: this.env, config });
  }
}

/** Carriage return, then erase the line: where a status line is redrawn. */
const CLEAR_LINE = '\r\u001b[2K';
const DEFAULT_COLUMNS = 80;

export class Writer {
  readonly isTTY: boolean;
  private readonly stream: OutputStream;
  private readonly secrets: Secrets;
  private readonly color: boolean;
  private failed = false;
  /** The status line as shown (rendered), or `''` when none is. */
  private statusLine = '';

  constructor(stream: OutputStream, secrets: Secrets, options: { color: boolean }) {
    this.stream = stream;
    this.secrets = secrets;
    this.isTTY = stream.isTTY === true;
    this.color = options.color && this.isTTY;
    stream.on?.('error', () => {
      this.failed = true;
    });
  }

  /** True once the reader went away: everything written after is dropped. */
  get closed(): boolean {
    return this.failed || this.stream.destroyed === true;
  }

  /** Human-readable text: redacted, control characters escaped, Baton's styles rendered. */
  write(text: string): void {
    const rendered = renderForTerminal(this.secrets.redactor.text(text), this.color);
    // Lines go above the status line: it is taken away, the text written, and it is put back.
    if (this.statusLine !== '' && rendered !== '')
      this.emit(`${CLEAR_LINE}${rendered}${rendered.endsWith('\n') ? this.statusLine : ''}`);
    else this.emit(rendered);
    if (!rendered.endsWith('\n') && rendered !== '') this.statusLine = '';
  }

  /**
   * On a terminal, shows `text` (one line of plain text) as the status line, in place of the
   * previous one, cut to the terminal's width; elsewhere does nothing.
   */
  status(text: string): void {
    if (!this.isTTY) return;
    const plain = renderForTerminal(this.secrets.redactor.text(text), false).replace(/\n/g, ' ');
    const width = Math.max((this.stream.columns || DEFAULT_COLUMNS) - 1, 10);
    const cut = [...plain].length > width ? `${[...plain].slice(0, width - 1).join('')}…` : plain;
    const line = this.color ? `\u001b[2m${cut}\u001b[22m` : cut;
    if (line === this.statusLine) return;
    this.statusLine = line;
    this.emit(`${CLEAR_LINE}${line}`);
  }

  /** Takes the status line away, if one is shown. */
  clearStatus(): void {
    if (this.statusLine === '') return;
    this.statusLine = '';
    this.emit(CLEAR_LINE);
  }

  /** A JSON document on its own lines: redacted, otherwise exact. */
  json(value: unknown): void {
    this.emit(`${JSON.stringify(this.secrets.redactor.value(value), null, 2)}\n`);
  }

  /** A piece of JSON the caller serialised (a long listing streamed entry by entry): redacted. */
  jsonText(text: string): void {
    this.emit(this.secrets.redactor.text(text));
  }

  private emit(text: string): void {
    if (this.closed) return;
    try {
      this.stream.write(text);
    } catch {
      this.failed = true;
    }
  }
}
