import { describe, expect, it } from 'vitest';
import { formatGoExpiration, humanDuration } from './go-time-format.js';

describe('formatGoExpiration', () => {
  it("renders Go's 2006-01-02 15:04:05-0700 layout in UTC (plugins/database/postgresql)", () => {
    expect(formatGoExpiration(new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 999)))).toBe('2030-01-02 03:04:05+0000');
  });
});

describe('humanDuration', () => {
  it("prints Go durations without zero units, as Vault's warnings do (sdk/framework/lease.go)", () => {
    expect(humanDuration(0)).toBe('0s');
    expect(humanDuration(3)).toBe('3s');
    expect(humanDuration(90)).toBe('1m30s');
    expect(humanDuration(120)).toBe('2m');
    expect(humanDuration(3600)).toBe('1h');
    expect(humanDuration(3605)).toBe('1h5s');
    expect(humanDuration(3660)).toBe('1h1m');
    expect(humanDuration(2_764_800)).toBe('768h');
  });
});
