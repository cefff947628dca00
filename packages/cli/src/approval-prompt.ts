/**
 * Answering a human step on the terminal. The result asked about has been printed above
 * (by the live view); here the person chooses explicitly: approve, reject, or add a note and
 * then approve or reject. A typed sentence is never taken as an approval — "no, add a second
 * line" is asked again, as a choice.
 */
import { createInterface } from 'node:readline/promises';
import type { AskHuman, HumanAnswer } from '@baton/run';
import { escapeControlCharacters } from './terminal-text.js';
import type { Secrets } from './writer.js';

export interface TerminalStreams {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
}

const CHOICES = '[a] approve  [r] reject  [n] add a note  (Enter: pause, answer later)';

/** What a typed choice means; `null` for anything that is not one of them. */
export function readChoice(typed: string): 'approve' | 'reject' | 'note' | 'pause' | null {
  const word = typed.trim().toLowerCase();
  if (word === '') return 'pause';
  if (word === 'a' || word === 'approve') return 'approve';
  if (word === 'r' || word === 'reject') return 'reject';
  if (word === 'n' || word === 'note') return 'note';
  return null;
}

/** Asks on the terminal; Enter (or Ctrl-C) leaves the run waiting for `baton resume`. */
export function askOnTerminal(
  controller: AbortController,
  secrets: Pick<Secrets, 'redactor'>,
  streams: TerminalStreams = { input: process.stdin, output: process.stderr },
): AskHuman {
  return async (question) => {
    const terminal = createInterface({ input: streams.input, output: streams.output });
    // On a terminal, readline takes Ctrl-C itself; treat it as the run's interrupt.
    terminal.on('SIGINT', () => controller.abort('interrupted by SIGINT'));
    // readline writes to the terminal itself, so what it prints is made safe here.
    const printable = escapeControlCharacters(secrets.redactor.text(question));
    const ask = (prompt: string) => terminal.question(prompt, { signal: controller.signal });
    try {
      return await converse(ask, (text) => streams.output.write(text), printable);
    } catch {
      return null;
    } finally {
      terminal.close();
    }
  };
}

async function converse(
  ask: (prompt: string) => Promise<string>,
  say: (text: string) => void,
  question: string,
): Promise<HumanAnswer | null> {
  let note = '';
  let prompt = `${question}\n${CHOICES}\n> `;
  for (;;) {
    const choice = readChoice(await ask(prompt));
    switch (choice) {
      case 'pause':
        return null;
      case 'approve':
        return { decision: 'approve', text: note };
      case 'reject':
        if (note === '') note = (await ask('Why (sent back with the rejection)? > ')).trim();
        return { decision: 'reject', text: note };
      case 'note':
        note = (await ask('Note: > ')).trim();
        prompt = `With this note: [a] approve  [r] reject  (Enter: pause)\n> `;
        break;
      default:
        say(
          'That is not a choice: type a, r or n. A typed answer is never taken as approval; ' +
            'to say something, add a note (n), then approve or reject.\n',
        );
        prompt = '> ';
    }
  }
}
