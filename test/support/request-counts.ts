/** Sums the dev server's request counters whose `METHOD template` key matches `pattern`. */
export function countRequests(counts: Readonly<Record<string, number>>, pattern: RegExp): number {
  return Object.entries(counts)
    .filter(([key]) => pattern.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}
