import { describe, expect, it } from 'vitest';
import { Acl } from './acl.js';
import { parsePolicy } from './acl-policy.js';

const acl = (hcl: string) => new Acl(parsePolicy(hcl));

describe('Acl (docs/concepts/policies, priority matching)', () => {
  it('prefers an exact path over a glob', () => {
    const rules = acl('path "secret/*" { capabilities = ["read"] }\npath "secret/foo" { capabilities = ["list"] }');
    expect([...rules.capabilities('secret/foo')]).toEqual(['list']);
    expect([...rules.capabilities('secret/bar')]).toEqual(['read']);
  });

  it('prefers the pattern whose first wildcard comes later, then one without a trailing glob', () => {
    const rules = acl(`
      path "secret/+/data" { capabilities = ["update"] }
      path "secret/a/*" { capabilities = ["read"] }
      path "secret/*" { capabilities = ["delete"] }
    `);
    expect([...rules.capabilities('secret/a/data')]).toEqual(['read']);
    expect([...rules.capabilities('secret/b/data')]).toEqual(['update']);
    expect([...rules.capabilities('secret/b/other')]).toEqual(['delete']);
  });

  it('denies everything on a deny rule and nothing outside any rule', () => {
    const rules = acl('path "db/*" { capabilities = ["read"] }\npath "db/creds/admin" { capabilities = ["deny"] }');
    expect(rules.allows('db/creds/admin', ['read'])).toBe(false);
    expect(rules.allows('db/creds/reader', ['read'])).toBe(true);
    expect(rules.allows('kv/x', ['read'])).toBe(false);
  });

  it('merges the same path across policies and grants root everything', () => {
    const merged = new Acl([
      ...parsePolicy('path "a" { capabilities = ["read"] }'),
      ...parsePolicy('path "a" { capabilities = ["list"] }'),
    ]);
    expect([...merged.capabilities('a')].sort()).toEqual(['list', 'read']);
    expect(new Acl([], { root: true }).allows('anything/at/all', ['sudo'])).toBe(true);
  });

  it('reads comments, the legacy policy attribute and skips other attributes', () => {
    const rules = acl(`
      # a comment
      // another
      path "legacy/*" { policy = "write" }
      path "params" {
        capabilities = ["create"]
        allowed_parameters = { "name" = [] }
      }
    `);
    expect(rules.allows('legacy/x', ['update'])).toBe(true);
    expect(rules.allows('params', ['create'])).toBe(true);
  });

  it('answers 400 failed to parse policy for bad HCL', () => {
    expect(() => parsePolicy('path "x" { capabilities = ["fly"] }')).toThrow(/failed to parse policy/);
    expect(() => parsePolicy('paths "x" {}')).toThrow(/failed to parse policy/);
  });
});
