/** Lines of unchanged context around each change, as `diff -u` and git print. */
const CONTEXT = 3;
/** Beyond this many edits the middle of the files is shown as replaced wholesale. */
const MAX_EDIT_DISTANCE = 4000;
/** Marks a last line that has no line terminator, so `x` and `x\n` compare unequal. */
const NO_EOL = '\u0000';

type Operation = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string | null): string[] {
  if (text === null || text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  else lines[lines.length - 1] += NO_EOL;
  return lines;
}

/** Myers' O(ND) shortest edit script between the middle parts of `a` and `b`. */
function shortestEdit(a: readonly string[], b: readonly string[]): Operation[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d += 1) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, offset);
    }
  }
  return undefined;
}

function backtrack(
  a: readonly string[],
  b: readonly string[],
  trace: Int32Array[],
  offset: number,
): Operation[] {
  const operations: Operation[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d -= 1) {
    const v = trace[d]!;
    const k = x - y;
    const previousK =
      k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const previousX = v[offset + previousK]!;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      operations.push({ kind: ' ', line: a[x - 1]! });
      x -= 1;
      y -= 1;
    }
    if (d > 0) {
      if (x === previousX) operations.push({ kind: '+', line: b[y - 1]! });
      else operations.push({ kind: '-', line: a[x - 1]! });
    }
    x = previousX;
    y = previousY;
  }
  return operations.reverse();
}

function diffLines(a: readonly string[], b: readonly string[]): Operation[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix += 1;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix += 1;
  }
  const middleA = a.slice(prefix, a.length - suffix);
  const middleB = b.slice(prefix, b.length - suffix);
  const middle = shortestEdit(middleA, middleB) ?? [
    ...middleA.map((line) => ({ kind: '-' as const, line })),
    ...middleB.map((line) => ({ kind: '+' as const, line })),
  ];
  return [
    ...a.slice(0, prefix).map((line) => ({ kind: ' ' as const, line })),
    ...middle,
    ...a.slice(a.length - suffix).map((line) => ({ kind: ' ' as const, line })),
  ];
}

function range(start: number, length: number): string {
  // An empty range names the line before it, as `diff -u` does.
  const first = length === 0 ? start - 1 : start;
  return length === 1 ? `${first}` : `${first},${length}`;
}

function displayPath(prefix: string, path: string): string {
  return `${prefix}/${path.replace(/^\/+/, '')}`;
}

/**
 * A unified diff (`--- a/path`, `+++ b/path`, hunks with three lines of context) between two
 * versions of a file; `null` stands for a file that does not exist. Empty when they are equal.
 */
export function unifiedDiff(path: string, before: string | null, after: string | null): string {
  if (before === after) return '';
  const operations = diffLines(splitLines(before), splitLines(after));
  const lines = [
    `--- ${before === null ? '/dev/null' : displayPath('a', path)}`,
    `+++ ${after === null ? '/dev/null' : displayPath('b', path)}`,
  ];
  const changed = operations.flatMap((operation, index) => (operation.kind === ' ' ? [] : [index]));
  let cursor = 0;
  while (cursor < changed.length) {
    const first = changed[cursor]!;
    let last = first;
    while (cursor + 1 < changed.length && changed[cursor + 1]! - last <= 2 * CONTEXT + 1) {
      cursor += 1;
      last = changed[cursor]!;
    }
    cursor += 1;
    const start = Math.max(0, first - CONTEXT);
    const end = Math.min(operations.length, last + CONTEXT + 1);
    let oldLine = 1;
    let newLine = 1;
    for (const operation of operations.slice(0, start)) {
      if (operation.kind !== '+') oldLine += 1;
      if (operation.kind !== '-') newLine += 1;
    }
    const hunk = operations.slice(start, end);
    const oldLength = hunk.filter((operation) => operation.kind !== '+').length;
    const newLength = hunk.filter((operation) => operation.kind !== '-').length;
    lines.push(`@@ -${range(oldLine, oldLength)} +${range(newLine, newLength)} @@`);
    for (const operation of hunk) {
      const noEol = operation.line.endsWith(NO_EOL);
      lines.push(operation.kind + (noEol ? operation.line.slice(0, -1) : operation.line));
      if (noEol) lines.push('\\ No newline at end of file');
    }
  }
  return `${lines.join('\n')}\n`;
}
