/**
 * The set-up the real-CLI test files share: one scripted model server per file, started
 * before its tests and closed after them, and a fresh sandbox (temp homes and config
 * directories of the runtime under test) per test, removed after it. Each returns a getter
 * for use inside tests and hooks, once the server or the sandbox exists.
 */
import { type ModelServer, type ModelServerOptions, startModelServer } from '@baton/testkit';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

export function useModelServer(options: ModelServerOptions): () => ModelServer {
  let server: ModelServer | undefined;
  beforeAll(async () => {
    server = await startModelServer(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (server === undefined) throw new Error('The scripted model server has not started.');
    return server;
  };
}

export function useSandbox<S extends { remove(): void }>(create: () => S): () => S {
  let sandbox: S | undefined;
  beforeEach(() => {
    sandbox = create();
  });
  afterEach(() => {
    sandbox?.remove();
    sandbox = undefined;
  });
  return () => {
    if (sandbox === undefined) throw new Error('The sandbox exists only while a test runs.');
    return sandbox;
  };
}
