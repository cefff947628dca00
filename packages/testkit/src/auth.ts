/** Whether a request carries the key the server expects. */
export type KeyCheck = 'ok' | 'missing' | 'wrong';

/** The key a client presented: `Authorization: Bearer …`, `x-api-key` or `api-key`. */
export function presentedKey(headers: Readonly<Record<string, string>>): string | undefined {
  const authorization = headers['authorization'];
  if (authorization !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match?.[1] ?? authorization.trim();
  }
  return headers['x-api-key'] ?? headers['api-key'];
}

/** Without an expected key any request passes; with one, it must be presented exactly. */
export function checkKey(
  expected: string | undefined,
  headers: Readonly<Record<string, string>>,
): KeyCheck {
  if (expected === undefined) return 'ok';
  const key = presentedKey(headers);
  if (key === undefined || key === '') return 'missing';
  return key === expected ? 'ok' : 'wrong';
}
