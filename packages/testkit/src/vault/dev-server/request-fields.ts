import { parseDurationSeconds } from './duration.js';
import { VaultErrorReply } from './vault-error-reply.js';
import type { RequestData } from './vault-request.js';

/**
 * Reads request fields with Vault's `framework.FieldData` leniency: numbers and booleans may come as
 * strings, and a string list may come as one comma-separated string.
 */
export const field = {
  string(data: RequestData, name: string, fallback = ''): string {
    const value = data[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw VaultErrorReply.badRequest(`error converting input for field "${name}": expected a string`);
  },

  boolean(data: RequestData, name: string, fallback: boolean): boolean {
    const value = data[name];
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '1' || value === 1) return true;
    if (value === 'false' || value === '0' || value === 0) return false;
    throw VaultErrorReply.badRequest(`error converting input for field "${name}": expected a boolean`);
  },

  integer(data: RequestData, name: string, fallback: number): number {
    const value = data[name];
    if (value === undefined || value === null || value === '') return fallback;
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(number)) {
      throw VaultErrorReply.badRequest(`error converting input for field "${name}": expected an integer`);
    }
    return number;
  },

  seconds(data: RequestData, name: string): number {
    return parseDurationSeconds(data[name], name);
  },

  /** `TypeCommaStringSlice`: a list, or a comma-separated string. */
  commaList(data: RequestData, name: string): string[] {
    const value = data[name];
    if (value === undefined || value === null || value === '') return [];
    if (Array.isArray(value))
      return value
        .map(String)
        .map((item) => item.trim())
        .filter((item) => item !== '');
    return String(value)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  },

  /** `TypeStringSlice`: a list, or one string taken whole (SQL statements contain commas). */
  list(data: RequestData, name: string): string[] {
    const value = data[name];
    if (value === undefined || value === null || value === '') return [];
    if (Array.isArray(value)) return value.map(String).filter((item) => item.trim() !== '');
    return [String(value)];
  },

  stringMap(data: RequestData, name: string): Record<string, string> | undefined {
    const value = data[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw VaultErrorReply.badRequest(`error converting input for field "${name}": expected a map`);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
  },

  object(data: RequestData, name: string): RequestData | undefined {
    const value = data[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw VaultErrorReply.badRequest(`error converting input for field "${name}": expected a map`);
    }
    return value as RequestData;
  },
};
