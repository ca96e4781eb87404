import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, secretsInText } from './secrets-in-text.js';

/** What the one-pass scan must find: every secret long enough that `includes` finds. */
function byIncludes(text: string, secrets: readonly string[]): Set<string> {
  return new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH && text.includes(s)));
}

describe('secretsInText', () => {
  it('finds what includes finds: inside words, at the edges, overlapping, across a line break', () => {
    const secrets = ['hvs.CAESIabc123', 's3cr3t-Passw0rd-xyz', 'Passw0rd-xyz-tail', 'abcdefgh', 'short', 'x\ny-zzzzzz'];
    const text = [
      'error {"message":"login failed for s3cr3t-Passw0rd-xyz-tail"}',
      'hvs.CAESIabc123',
      'token=hvs.CAESIabc1234 user=abcdefghij',
      'short x',
      'y-zzzzzz',
    ].join('\n');
    expect(secretsInText(text, secrets)).toEqual(byIncludes(text, secrets));
    expect([...secretsInText(text, secrets)].sort()).toEqual(
      ['Passw0rd-xyz-tail', 'abcdefgh', 'hvs.CAESIabc123', 's3cr3t-Passw0rd-xyz', 'x\ny-zzzzzz'].sort(),
    );
  });

  it('finds what includes finds on random text and secrets', () => {
    let state = 7;
    const next = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state;
    };
    const chars = 'ab-.Z9 "/:\n';
    const draw = (length: number) => Array.from({ length }, () => chars[next() % chars.length]).join('');
    for (let round = 0; round < 200; round++) {
      const text = draw(400);
      const secrets = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? text.slice(next() % 390, (next() % 390) + 12) : draw(6 + (next() % 10)),
      );
      expect(secretsInText(text, secrets)).toEqual(byIncludes(text, secrets));
    }
  });

  it('finds nothing without secrets long enough', () => {
    expect(secretsInText('short and sweet', ['short', 'sweet'])).toEqual(new Set());
  });
});
