/**
 * Doctor checks every process-based adapter needs: the executable is there (and is not an
 * uninstalled placeholder), and its version parses and sits in the tested range. Adapters
 * compose these with their own auth, profile and probe checks.
 */
import type {
  AdapterIdentity,
  CheckResult,
  DoctorCheck,
  DoctorContext,
} from '../adapter/v2/spec.js';
import { type ExecutableHead, findExecutable, readExecutableHead } from './executable.js';
import { runCommand } from './process.js';
import { parseVersion, satisfies } from './semver.js';

/** Says why an executable is an uninstalled stub, or `null` when it looks real. */
export type PlaceholderDetector = (executable: ExecutableHead) => string | null;

export interface BinaryCheckOptions {
  readonly identity: AdapterIdentity;
  /** How to reinstall the runtime, shown when the binary is missing or a placeholder. */
  readonly installHint: string;
  readonly detectPlaceholder?: PlaceholderDetector;
}

/** The executable the settings name, or the identity's binary on PATH. */
export function executableFor(
  identity: AdapterIdentity,
  context: Pick<DoctorContext, 'settings' | 'env' | 'cwd'>,
): {
  readonly wanted: string;
  readonly path: string | null;
} {
  const wanted = context.settings.binary ?? identity.binary ?? '';
  return { wanted, path: wanted === '' ? null : findExecutable(wanted, context.env, context.cwd) };
}

export function binaryCheck(options: BinaryCheckOptions): DoctorCheck {
  return {
    id: 'binary',
    async run(context) {
      const { wanted, path } = executableFor(options.identity, context);
      const configured = context.settings.binary !== undefined;
      if (path === null) {
        return {
          status: 'fail',
          summary: configured
            ? `${wanted} (from [runtimes.${options.identity.id}] binary) is not an executable file`
            : `${wanted} not found on PATH`,
          remediation: configured
            ? `Fix [runtimes.${options.identity.id}] binary in baton.toml, or ${options.installHint}`
            : options.installHint,
        };
      }
      const head = readExecutableHead(path);
      const placeholder = options.detectPlaceholder?.(head) ?? null;
      if (placeholder !== null) {
        return {
          status: 'fail',
          summary: `${path} is a placeholder: ${placeholder}`,
          remediation: options.installHint,
        };
      }
      return { status: 'pass', summary: `found ${path}` };
    },
  };
}

export interface VersionCheckOptions {
  readonly identity: AdapterIdentity;
  readonly args?: readonly string[];
  /** Pulls the version out of the command's output; default: the first `x.y.z`. */
  readonly parse?: (output: string) => string | undefined;
}

export function versionCheck(options: VersionCheckOptions): DoctorCheck {
  const args = options.args ?? ['--version'];
  return {
    id: 'version',
    dependsOn: ['binary'],
    async run(context): Promise<CheckResult> {
      const { path } = executableFor(options.identity, context);
      const command = `${options.identity.binary ?? path} ${args.join(' ')}`;
      const result = await runCommand(path!, args, {
        env: context.env,
        cwd: context.cwd,
        timeoutMs: 10_000,
        signal: context.signal,
      });
      if (result.timedOut) {
        return {
          status: 'fail',
          summary: `\`${command}\` did not answer in time`,
          remediation: 'Reinstall the runtime; it hangs when asked its version.',
        };
      }
      const output = `${result.stdout}\n${result.stderr}`;
      if (result.exitCode !== 0) {
        return {
          status: 'fail',
          summary: `\`${command}\` exited with ${result.exitCode ?? result.spawnError ?? 'a signal'}: ${firstLine(output)}`,
          remediation: 'Reinstall the runtime; it cannot report its version.',
        };
      }
      const version = (options.parse ?? parseVersion)(output);
      if (version === undefined) {
        return {
          status: 'fail',
          summary: `cannot read a version in the output of \`${command}\`: ${JSON.stringify(firstLine(output))}`,
          remediation: `Check that ${path} is really ${options.identity.displayName}.`,
        };
      }
      if (!satisfies(version, options.identity.testedVersions)) {
        return {
          status: 'warn',
          version,
          summary: `version ${version} is outside the tested range ${options.identity.testedVersions}`,
          remediation: `Baton was tested with ${options.identity.displayName} ${options.identity.testedVersions}; other versions may change flags or output.`,
        };
      }
      return {
        status: 'pass',
        version,
        summary: `version ${version} (tested: ${options.identity.testedVersions})`,
      };
    },
  };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 200) ?? '';
}
