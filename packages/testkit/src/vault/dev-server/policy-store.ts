import { Acl } from './acl.js';
import { type PathRule, parsePolicy } from './acl-policy.js';
import { VaultErrorReply } from './vault-error-reply.js';

/**
 * The paths Vault's built-in `default` policy opens to every token (token self-management,
 * lease renewal and lookup); trimmed to the endpoints the dev server serves.
 */
const DEFAULT_POLICY = `
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/renew" { capabilities = ["update"] }
`;

/** ACL policies by name (`sys/policies/acl/:name`), with Vault's `root` and `default`. */
export class PolicyStore {
  readonly #policies = new Map<string, { readonly text: string; readonly rules: readonly PathRule[] }>();

  constructor() {
    this.#policies.set('default', { text: DEFAULT_POLICY.trim(), rules: parsePolicy(DEFAULT_POLICY) });
  }

  write(name: string, text: string): void {
    const key = name.toLowerCase();
    if (key === 'root') throw VaultErrorReply.badRequest('cannot update "root" policy');
    if (text.trim() === '') throw VaultErrorReply.badRequest("'policy' parameter not supplied or empty");
    this.#policies.set(key, { text, rules: parsePolicy(text) });
  }

  read(name: string): string | undefined {
    const key = name.toLowerCase();
    if (key === 'root') return '';
    return this.#policies.get(key)?.text;
  }

  delete(name: string): void {
    const key = name.toLowerCase();
    if (key === 'root' || key === 'default') throw VaultErrorReply.badRequest(`cannot delete "${key}" policy`);
    this.#policies.delete(key);
  }

  names(): string[] {
    return [...this.#policies.keys(), 'root'].sort();
  }

  /** The ACL of a token holding `policies`; unknown policy names grant nothing, as in Vault. */
  aclFor(policies: readonly string[]): Acl {
    if (policies.includes('root')) return new Acl([], { root: true });
    return new Acl(policies.flatMap((name) => this.#policies.get(name)?.rules ?? []));
  }
}
