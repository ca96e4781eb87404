import { describe, expect, it } from 'vitest';
import { calculateTtl, PastMaxTtlError, SYSTEM_DEFAULT_TTL_SECONDS } from './ttl-calculation.js';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 400);

describe('calculateTtl (sdk/framework/lease.go CalculateTTL)', () => {
  it('takes the increment, else the backend TTL, else the system default', () => {
    expect(calculateTtl({ increment: 30, backendTtl: 60, backendMaxTtl: 0, now: NOW })).toEqual({
      ttl: 30,
      warnings: [],
    });
    expect(calculateTtl({ increment: 0, backendTtl: 60, backendMaxTtl: 0, now: NOW }).ttl).toBe(60);
    expect(calculateTtl({ increment: 0, backendTtl: 0, backendMaxTtl: 0, now: NOW }).ttl).toBe(
      SYSTEM_DEFAULT_TTL_SECONDS,
    );
  });

  it('caps at what is left of the max TTL since issue, with the warning', () => {
    const issuedAt = NOW - 7_000;
    expect(calculateTtl({ increment: 60, backendTtl: 5, backendMaxTtl: 10, issuedAt, now: NOW })).toEqual({
      ttl: 3,
      warnings: ['TTL of "1m" exceeded the effective max_ttl of "3s"; TTL value is capped accordingly'],
    });
  });

  it('uses the smallest of backend and explicit max TTL', () => {
    expect(calculateTtl({ increment: 100, backendTtl: 0, backendMaxTtl: 50, explicitMaxTtl: 20, now: NOW }).ttl).toBe(
      20,
    );
  });

  it('fails with "past the max TTL, cannot renew" once the max TTL is used up', () => {
    expect(() =>
      calculateTtl({ increment: 1, backendTtl: 1, backendMaxTtl: 2, issuedAt: NOW - 2_000, now: NOW }),
    ).toThrow(PastMaxTtlError);
  });
});
