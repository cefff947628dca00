/**
 * Just enough semver for "is this runtime version inside the tested range": versions
 * `x.y.z`, ranges made of space-separated comparators (`>=0.169.0 <0.170.0`), `||` between
 * alternatives. No dependency, because doctor runs on every start of `baton run`.
 */
export function parseVersion(text: string): string | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?/.exec(text);
  return match ? match[0] : undefined;
}

function compare(a: string, b: string): number {
  const left = core(a);
  const right = core(b);
  for (let index = 0; index < 3; index++) {
    const difference = left[index]! - right[index]!;
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

function core(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.split('-')[0]!.split('.').map(Number);
  return [major, minor, patch];
}

const COMPARATOR = /^(>=|<=|>|<|=)?\s*v?(\d+(?:\.\d+){0,2})$/;

export function satisfies(version: string, range: string): boolean {
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .filter((part) => part !== '')
      .every((comparator) => {
        const match = COMPARATOR.exec(comparator);
        if (!match) throw new Error(`Unsupported version range "${range}"`);
        const operator = match[1] ?? '=';
        const bound = normalise(match[2]!);
        const order = compare(version, bound);
        switch (operator) {
          case '>=':
            return order >= 0;
          case '<=':
            return order <= 0;
          case '>':
            return order > 0;
          case '<':
            return order < 0;
          default:
            return order === 0;
        }
      }),
  );
}

function normalise(version: string): string {
  const parts = version.split('.');
  while (parts.length < 3) parts.push('0');
  return parts.join('.');
}
