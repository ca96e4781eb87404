/** Shorter strings are not looked for: an 8-character secret is all dataverk's checks need to catch. */
export const MIN_SECRET_LENGTH = 8;

/** The secrets of one length, and the first two characters of each (as one number, see {@link pairAt}). */
interface SecretsOfLength {
  readonly secrets: Set<string>;
  readonly starts: Set<number>;
}

/**
 * The secrets (of {@link MIN_SECRET_LENGTH} characters or more) that occur in `text`, as
 * `text.includes(secret)` would find them, in one pass over `text` instead of one per secret (a
 * run's output is hundreds of kilobytes, its secrets hundreds). Every occurrence of a secret lies
 * within a run of characters that secrets are made of, so only the windows of such runs, one per
 * secret length, are candidates, and only those that start as some secret of that length does are
 * looked up.
 *
 * @example
 * secretsInText('error {"message":"login failed for s3cr3t-Passw0rd-xyz"}', ['s3cr3t-Passw0rd-xyz']);
 * // Set { 's3cr3t-Passw0rd-xyz' }
 */
export function secretsInText(text: string, secrets: readonly string[]): Set<string> {
  const byLength = new Map<number, SecretsOfLength>();
  // By UTF-16 code unit: looked up once for every character of the text.
  const alphabet = new Uint8Array(65_536);
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    let ofLength = byLength.get(secret.length);
    if (ofLength === undefined) {
      ofLength = { secrets: new Set(), starts: new Set() };
      byLength.set(secret.length, ofLength);
    }
    ofLength.secrets.add(secret);
    ofLength.starts.add(pairAt(secret, 0));
    for (let i = 0; i < secret.length; i++) alphabet[secret.charCodeAt(i)] = 1;
  }
  const found = new Set<string>();
  const groups = [...byLength];
  const shortest = Math.min(...byLength.keys());
  let runStart = 0;
  for (let end = 0; end <= text.length; end++) {
    if (end < text.length && alphabet[text.charCodeAt(end)] === 1) continue;
    if (end - runStart >= shortest) {
      for (const [length, ofLength] of groups) {
        for (let at = runStart; at + length <= end; at++) {
          if (!ofLength.starts.has(pairAt(text, at))) continue;
          const window = text.slice(at, at + length);
          if (ofLength.secrets.has(window)) found.add(window);
        }
      }
    }
    runStart = end + 1;
  }
  return found;
}

/** The two UTF-16 code units at `at`, as one number. */
function pairAt(text: string, at: number): number {
  return text.charCodeAt(at) * 65_536 + text.charCodeAt(at + 1);
}
