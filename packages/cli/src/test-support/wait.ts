import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `condition` holds, looking every `pollMs`; fails after `timeoutMs`. Short looks
 * by default: some tests must catch a process right after a step (a resumer just after its
 * claim).
 */
export async function waitFor(
  condition: () => boolean,
  timeoutMs = 20_000,
  pollMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(pollMs);
  }
}
