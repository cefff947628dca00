import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptRequest } from './script.js';
import { createScriptBook, delay } from './script.js';
import type { ModelServer } from './server.js';
import { startModelServer } from './server.js';
import { post, readJson } from './test-support/http.js';

function request(overrides: Partial<ScriptRequest> = {}): ScriptRequest {
  return { api: 'chat', model: 'stub-model', text: '', headers: {}, body: {}, ...overrides };
}

/** A non-streamed chat request with `assistantTurns` earlier model turns in its history. */
function chat(text: string, options: { model?: string; assistantTurns?: number } = {}) {
  const messages: unknown[] = [{ role: 'user', content: text }];
  for (let turn = 0; turn < (options.assistantTurns ?? 0); turn += 1) {
    messages.push({ role: 'assistant', content: `earlier ${turn}` });
    messages.push({ role: 'user', content: 'go on' });
  }
  return { model: options.model ?? 'stub-model', messages };
}

async function replyText(response: Response): Promise<string> {
  const body = await readJson(response);
  return body.choices[0].message.content;
}

let server: ModelServer;
beforeEach(async () => {
  server = await startModelServer();
});
afterEach(() => server.close());

describe('routing', () => {
  it('answers with the default script, "OK", when nothing is scripted', async () => {
    expect(await replyText(await post(server, '/v1/chat/completions', chat('hi')))).toBe('OK');
    expect(server.requests[0]).toMatchObject({ route: null, turn: 0 });
  });

  it('routes by model, by a substring of the text and by header', async () => {
    const byModel = server.script({ model: 'model-a' }, [{ text: 'from model route' }]);
    const byText = server.script({ text: 'CONTRACT-42' }, [{ text: 'from text route' }]);
    const byHeader = server.script({ header: { name: 'X-Team', value: /^blue/ } }, [
      { text: 'from header route' },
    ]);
    expect([byModel, byText, byHeader]).toEqual([0, 1, 2]);

    const viaModel = await post(server, '/v1/chat/completions', chat('x', { model: 'model-a' }));
    expect(await replyText(viaModel)).toBe('from model route');
    const viaText = await post(server, '/v1/chat/completions', chat('role: CONTRACT-42 applies'));
    expect(await replyText(viaText)).toBe('from text route');
    const viaHeader = await post(server, '/v1/chat/completions', chat('x'), {
      'x-team': 'blue-7',
    });
    expect(await replyText(viaHeader)).toBe('from header route');
    const unmatched = await post(server, '/v1/chat/completions', chat('x', { model: 'other' }), {
      'x-team': 'red',
    });
    expect(await replyText(unmatched)).toBe('OK');
    expect(server.requests.map((entry) => entry.route)).toEqual([0, 1, 2, null]);
  });

  it('routes by API kind', async () => {
    server.script({ api: ['messages'] }, [{ text: 'anthropic only' }]);
    const chatReply = await post(server, '/v1/chat/completions', chat('x'));
    expect(await replyText(chatReply)).toBe('OK');
    const messagesReply = await post(server, '/v1/messages', chat('x'));
    expect((await readJson(messagesReply)).content[0].text).toBe('anthropic only');
  });

  it('lets the latest matching route win, so a test can override an earlier one', () => {
    const book = createScriptBook([{ text: 'default' }]);
    book.add({ model: 'stub-model' }, [{ text: 'general' }]);
    book.add({ text: 'special' }, [{ text: 'specific' }]);
    expect(book.choose(request({ text: 'a special case' }), 0).step).toEqual({ text: 'specific' });
    expect(book.choose(request({ text: 'plain' }), 0).step).toEqual({ text: 'general' });
  });

  it('matches a global RegExp the same way every time', () => {
    const book = createScriptBook([]);
    book.add({ text: /needle/g }, [{ text: 'found' }]);
    const haystack = request({ text: 'a needle here' });
    expect(book.choose(haystack, 0).route).toBe(0);
    expect(book.choose(haystack, 0).route).toBe(0);
  });

  it('requires every condition of a matcher to hold', () => {
    const book = createScriptBook([]);
    book.add({ model: 'm', text: 'x', when: (seen) => seen.api === 'chat' }, [{ text: 'all' }]);
    expect(book.choose(request({ model: 'm', text: 'x' }), 0).route).toBe(0);
    expect(book.choose(request({ model: 'm', text: 'y' }), 0).route).toBeNull();
    expect(book.choose(request({ model: 'm', text: 'x', api: 'messages' }), 0).route).toBeNull();
    expect(book.choose(request({ model: null, text: 'x' }), 0).route).toBeNull();
  });
});

describe('turns', () => {
  it('takes the turn from the history, so a retried request gets the same turn', async () => {
    server.script({}, [{ text: 'first' }, { text: 'second' }, { text: 'third' }]);
    const replies: string[] = [];
    for (const assistantTurns of [0, 0, 1, 2, 2]) {
      replies.push(
        await replyText(await post(server, '/v1/chat/completions', chat('go', { assistantTurns }))),
      );
    }
    expect(replies).toEqual(['first', 'first', 'second', 'third', 'third']);
  });

  it('repeats a final text turn past the end but never a tool call', () => {
    const book = createScriptBook([]);
    book.add({ model: 'text' }, [{ toolCall: { command: 'ls' } }, { text: 'last words' }]);
    book.add({ model: 'tool' }, [{ toolCall: { command: 'ls' } }]);
    const textScript = book.choose(request({ model: 'text' }), 5);
    expect(textScript).toMatchObject({ turn: 1, step: { text: 'last words' } });
    const toolScript = book.choose(request({ model: 'tool' }), 1);
    expect(toolScript).toMatchObject({ turn: null, step: { text: 'OK' } });
  });

  it('answers an empty script with OK', () => {
    const book = createScriptBook([]);
    expect(book.choose(request(), 0)).toEqual({
      route: null,
      turn: null,
      delayMs: 0,
      step: { text: 'OK' },
    });
  });

  it('fails every attempt at a position guarded by an error without `times`', async () => {
    server.script({}, [{ error: { status: 500 } }, { text: 'unreachable' }]);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await post(server, '/v1/chat/completions', chat('go'));
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: {
          message: 'Scripted error: HTTP 500',
          type: 'server_error',
          param: null,
          code: null,
        },
      });
    }
    expect(server.requests.map((entry) => entry.turn)).toEqual([0, 0, 0]);
  });

  it('fails only the first `times` attempts, then goes on to the next turn', async () => {
    server.script({}, [
      { error: { status: 429, message: 'slow down' }, times: 2 },
      { text: 'finally' },
      { error: { status: 502 }, times: 1 },
      { text: 'second answer' },
    ]);
    const statuses: number[] = [];
    for (const assistantTurns of [0, 0, 0, 1, 1]) {
      const response = await post(server, '/v1/chat/completions', chat('go', { assistantTurns }));
      statuses.push(response.status);
      if (response.status === 429) {
        expect(await response.json()).toMatchObject({
          error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded' },
        });
      }
    }
    expect(statuses).toEqual([429, 429, 200, 502, 200]);
    expect(server.requests.map((entry) => entry.turn)).toEqual([0, 0, 1, 2, 3]);
  });

  it('waits for a delay before answering', async () => {
    server.script({}, [delay(150, { text: 'late' })]);
    const started = performance.now();
    const response = await post(server, '/v1/chat/completions', chat('go'));
    expect(await replyText(response)).toBe('late');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('adds up nested delays and applies them to errors too', () => {
    const book = createScriptBook([
      delay(10, delay(5, { error: { status: 500 }, times: 1 })),
      delay(20, { text: 'ok' }),
    ]);
    expect(book.choose(request(), 0)).toMatchObject({ turn: 0, delayMs: 15 });
    expect(book.choose(request(), 0)).toMatchObject({ turn: 1, delayMs: 20 });
  });

  it('forgets routes and `times` counters on reset', () => {
    const book = createScriptBook([{ error: { status: 500 }, times: 1 }, { text: 'after' }]);
    book.add({}, [{ text: 'routed' }]);
    book.reset();
    expect(book.choose(request(), 0).step).toEqual({ error: { status: 500 }, times: 1 });
    expect(book.choose(request(), 0).step).toEqual({ text: 'after' });
    book.reset();
    expect(book.choose(request(), 0).step).toEqual({ error: { status: 500 }, times: 1 });
  });
});

describe('validation', () => {
  it.each([
    [[{}], 'turns[0]: a turn needs exactly one of text, toolCall, error, delay'],
    [[{ text: 'a', error: { status: 500 } }], 'turns[0]: a turn needs exactly one of'],
    [[{ text: 1 }], 'turns[0]: text must be a string'],
    [[{ toolCall: {} }], 'turns[0]: toolCall needs either command (a string) or arguments'],
    [[{ error: { status: 200 } }], 'turns[0]: error.status must be an HTTP error status'],
    [[{ error: { status: 500 }, times: 0 }], 'turns[0]: times must be a positive integer'],
    [[delay(-1, { text: 'x' })], 'turns[0]: delay must be a number of milliseconds'],
    [[delay(1, { text: 2 } as never)], 'turns[0].then: text must be a string'],
    [[{ text: 'a', usage: { tokens: 1 } }], 'turns[0]: unknown usage key "tokens"'],
  ])('rejects %j', (turns, message) => {
    expect(() => server.script({}, turns as never)).toThrow(message);
  });

  it('rejects unknown matcher keys and API kinds', () => {
    expect(() => server.script({ modle: 'x' } as never, [])).toThrow('unknown matcher key "modle"');
    expect(() => server.script({ api: 'completions' as never }, [])).toThrow(
      'unknown api "completions"',
    );
  });

  it('rejects a malformed default script at start', async () => {
    await expect(startModelServer({ defaultScript: [{ text: 3 } as never] })).rejects.toThrow(
      'defaultScript[0]: text must be a string',
    );
  });
});
