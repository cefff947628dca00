import { createHash } from 'node:crypto';
import type { BatonConfig } from '../config/types.js';
import type { Stage } from '../stage.js';
import { CONTRACTS_VERSION, ROLE_CONTRACTS } from './roles.js';

/** The exact text a runtime receives for a stage, and what identifies it in the journal. */
export interface RenderedContract {
  readonly stage: Stage;
  readonly role: string;
  readonly text: string;
  /** sha256 of `text` (UTF-8), hex. */
  readonly sha256: string;
  /** `v1`, or `v1+extend`/`v1+replace` when config changed it. */
  readonly version: string;
  /** Where a user override came from, or `null`. */
  readonly overrideSource: string | null;
}

/**
 * Renders a stage's role contract with the user's `[contracts.<stage>]` override applied:
 * `extend` appends the user's text after the canonical one, `replace` substitutes it.
 */
export function renderRoleContract(
  stage: Stage,
  config: Pick<BatonConfig, 'contracts'>,
): RenderedContract {
  const base = ROLE_CONTRACTS[stage];
  const override = config.contracts[stage];
  let text = base.text;
  let version = `v${CONTRACTS_VERSION}`;
  if (override) {
    const addition = override.text.trim();
    text = override.mode === 'replace' ? addition : `${base.text}\n\n${addition}`;
    version += `+${override.mode}`;
  }
  return {
    stage,
    role: base.role,
    text,
    sha256: sha256(text),
    version,
    overrideSource: override?.source ?? null,
  };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
