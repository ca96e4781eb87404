import { Acl } from './acl.js';
import { type PathRule, parsePolicy } from './acl-policy.js';
import { DEFAULT_POLICY_TEXT } from './default-policy.js';
import { type DevServerClock, systemDevServerClock } from './dev-server-clock.js';
import { VaultErrorReply } from './vault-error-reply.js';

interface StoredPolicy {
  readonly text: string;
  readonly rules: readonly PathRule[];
  /** Counts writes, from 1 (OpenBao's policy `version`). */
  readonly version: number;
  readonly modifiedAt: number;
}

/** What a policy read shows besides its text (vault/policy_store.go). */
export interface PolicyRecord {
  readonly text: string;
  readonly version: number;
  /** `undefined` for `root`, which was never written. */
  readonly modifiedAt: number | undefined;
}

/** ACL policies by name (`sys/policies/acl/:name`), with Vault's `root` and `default`. */
export class PolicyStore {
  readonly #policies = new Map<string, StoredPolicy>();
  readonly #clock: DevServerClock;
  /** Compiled ACLs by policy set; every policy write or delete clears it. */
  readonly #acls = new Map<string, Acl>();

  constructor(clock: DevServerClock = systemDevServerClock) {
    this.#clock = clock;
    this.#policies.set('default', {
      text: DEFAULT_POLICY_TEXT,
      rules: parsePolicy(DEFAULT_POLICY_TEXT),
      version: 1,
      modifiedAt: this.#clock.now(),
    });
  }

  write(name: string, text: string): void {
    const key = name.toLowerCase();
    if (key === 'root') throw VaultErrorReply.badRequest('cannot update "root" policy');
    if (text.trim() === '') throw VaultErrorReply.badRequest("'policy' parameter not supplied or empty");
    const version = (this.#policies.get(key)?.version ?? 0) + 1;
    this.#policies.set(key, { text, rules: parsePolicy(text), version, modifiedAt: this.#clock.now() });
    this.#acls.clear();
  }

  /** The policy with its version and modification time, `undefined` when there is none. */
  record(name: string): PolicyRecord | undefined {
    const key = name.toLowerCase();
    if (key === 'root') return { text: '', version: 0, modifiedAt: undefined };
    const stored = this.#policies.get(key);
    return stored === undefined
      ? undefined
      : { text: stored.text, version: stored.version, modifiedAt: stored.modifiedAt };
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
    this.#acls.clear();
  }

  names(): string[] {
    return [...this.#policies.keys(), 'root'].sort();
  }

  /** The ACL of a token holding `policies`; unknown policy names grant nothing, as in Vault. */
  aclFor(policies: readonly string[]): Acl {
    if (policies.includes('root')) return new Acl([], { root: true });
    const key = policies.join('\n');
    let acl = this.#acls.get(key);
    if (acl === undefined) {
      acl = new Acl(policies.flatMap((name) => this.#policies.get(name)?.rules ?? []));
      this.#acls.set(key, acl);
    }
    return acl;
  }
}
