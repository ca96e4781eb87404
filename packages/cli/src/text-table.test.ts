import { describe, expect, it } from 'vitest';
import { formatSeconds, textTable } from './text-table.js';

describe('textTable', () => {
  it('pads every column but the last', () => {
    expect(
      textTable(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', 'long detail'],
          ['', '', ''],
        ],
      ),
    ).toBe('A    BB  C\nxxx  y   long detail\n');
  });
});

describe('formatSeconds', () => {
  it.each([
    [0, '0s'],
    [42.4, '42s'],
    [185, '3m05s'],
    [7200, '2h00m'],
    [2_764_800, '32d0h'],
    [Number.POSITIVE_INFINITY, 'never'],
    [-5, '0s'],
  ])('%d → %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});
