/**
 * A failure message that answers "what happened, where": a runtime that could not connect
 * says which endpoint it was sent to (from `[runtimes.<id>] base_url`, or its own default),
 * so the reader knows what to check without reading the runtime's configuration.
 */
import type { RuntimeSettings } from '@baton/core';

/** The message of a failed attempt, with the endpoint named when the failure is a connection's. */
export function explainFailure(
  message: string,
  kind: string,
  runtime: string,
  settings: RuntimeSettings,
): string {
  if (kind !== 'network') return message;
  if (settings.baseUrl === undefined) {
    return `${message} (could not connect to ${runtime}'s own service; no base_url is set in [runtimes.${runtime}])`;
  }
  const endpoint = displayEndpoint(settings.baseUrl);
  if (message.includes(endpoint)) return message;
  return `${message} (could not connect to ${endpoint}, the base_url of [runtimes.${runtime}])`;
}

/** A URL as it may be shown: scheme, host and path; no credentials, query or fragment. */
export function displayEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(an unreadable base_url)';
  }
}
