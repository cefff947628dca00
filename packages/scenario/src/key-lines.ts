/**
 * The line a key path (`replies[2].tool`, `expect[0]`, `goal`) is written on in a scenario
 * file, so a problem found after parsing still points at its line. Scenario files are flat:
 * top-level keys, then `[[replies]]` and `[[expect]]` tables; a key written some other way
 * (an inline array of tables) is found at its table or not at all.
 */
const HEADER = /^\s*\[/;

export function lineOfKey(text: string, path: string): number | null {
  const match = /^([A-Za-z0-9_-]+)(?:\[(\d+)\])?(?:\.([A-Za-z0-9_-]+))?/.exec(path);
  if (match === null) return null;
  const [, root, index, key] = match;
  const lines = text.split('\n');
  const assignment = (name: string) => new RegExp(`^\\s*${name}\\s*=`);
  const search = (pattern: RegExp, from: number, to: number) => {
    for (let line = from; line < to; line++) if (pattern.test(lines[line]!)) return line;
    return -1;
  };
  const firstHeader = lines.findIndex((line) => HEADER.test(line));
  const topEnd = firstHeader === -1 ? lines.length : firstHeader;
  if (index === undefined) {
    const found = search(assignment(root!), 0, topEnd);
    return found === -1 ? null : found + 1;
  }
  const tableHeader = new RegExp(`^\\s*\\[\\[\\s*${root}\\s*\\]\\]\\s*(?:#.*)?$`);
  let seen = -1;
  let start = -1;
  for (let line = 0; line < lines.length; line++) {
    if (tableHeader.test(lines[line]!) && ++seen === Number(index)) {
      start = line;
      break;
    }
  }
  if (start === -1) {
    const written = search(assignment(root!), 0, topEnd);
    return written === -1 ? null : written + 1;
  }
  if (key === undefined) return start + 1;
  let end = lines.findIndex((line, position) => position > start && HEADER.test(line));
  if (end === -1) end = lines.length;
  const found = search(assignment(key), start + 1, end);
  return (found === -1 ? start : found) + 1;
}
