/**
 * Every combination of the values listed for each dimension, one object each, in the order
 * nested loops over the dimensions (the first outermost) would produce them: for the flag
 * tests, which check each CLI's --help against every command its adapter can build.
 */
export function combinations<const Dimensions extends Record<string, readonly unknown[]>>(
  dimensions: Dimensions,
): Array<{ -readonly [Name in keyof Dimensions]: Dimensions[Name][number] }> {
  let all: Array<Record<string, unknown>> = [{}];
  for (const [name, values] of Object.entries(dimensions)) {
    all = all.flatMap((partial) => values.map((value) => ({ ...partial, [name]: value })));
  }
  return all as Array<{ -readonly [Name in keyof Dimensions]: Dimensions[Name][number] }>;
}
