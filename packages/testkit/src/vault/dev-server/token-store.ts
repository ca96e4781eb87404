import { createHmac, randomBytes } from 'node:crypto';
import { type CancelTimer, scheduleAt } from './deadline-timer.js';
import { type DevServerClock, systemDevServerClock } from './dev-server-clock.js';
import { rfc3339 } from './go-time-format.js';
import { base62 } from './random-id.js';
import { calculateTtl, PastMaxTtlError, remainingSeconds } from './ttl-calculation.js';
import { VaultErrorReply } from './vault-error-reply.js';
import type { AuthBlock } from './vault-response.js';

/** A token as the store knows it. Read-only to everybody but the store. */
export interface TokenEntry {
  readonly id: string;
  readonly accessor: string;
  readonly policies: readonly string[];
  readonly displayName: string;
  readonly meta: Readonly<Record<string, string>> | null;
  /** The path that created it (`auth/token/create`, `auth/kubernetes/login`, …). */
  readonly path: string;
  readonly parent: string | undefined;
  readonly issuedAt: number;
  /** TTL at creation in seconds; 0 for a token that never expires (root). */
  readonly creationTtl: number;
  readonly explicitMaxTtl: number;
  /** Max TTL of the auth backend role; 0 = system max. */
  readonly backendMaxTtl: number;
  readonly renewable: boolean;
  /** TTL granted by the last creation or renewal, in seconds (the auth block's `lease_duration`). */
  readonly grantedTtl: number;
  readonly expiresAt: number | undefined;
  readonly lastRenewalAt: number | undefined;
  /** Seconds; a periodic token's TTL is reset to it at every renewal, with no max TTL. 0 = none. */
  readonly period: number;
  readonly type: TokenType;
  /** The identity entity of a login (OpenBao makes one per auth alias); '' for token-store tokens. */
  readonly entityId: string;
}

/** `service` tokens live in the store; `batch` tokens are not renewable and have no accessor. */
export type TokenType = 'service' | 'batch';

/** What creating a token needs. */
export interface TokenSpec {
  readonly policies: readonly string[];
  readonly noDefaultPolicy?: boolean;
  readonly displayName: string;
  readonly meta?: Readonly<Record<string, string>> | null;
  readonly path: string;
  readonly parent?: string;
  readonly ttl: number;
  readonly explicitMaxTtl?: number;
  readonly backendMaxTtl?: number;
  readonly renewable?: boolean;
  readonly period?: number;
  readonly type?: TokenType;
  readonly entityId?: string;
}

/** OpenBao's service tokens are `s.` + 24 base62 (HashiCorp Vault ≥ 1.10 mints `hvs.` + 90+). */
export const SERVICE_TOKEN_PREFIX = 's.';

/** A token id's salted hashes, as its lease id ends. */
interface TokenHashes {
  readonly sha1: string;
  readonly sha256: string;
}

type MutableEntry = { -readonly [K in keyof TokenEntry]: TokenEntry[K] };

/**
 * Service tokens with Vault's lifetime rules: a TTL, renewal capped by the max TTL, revocation of a
 * token's children, and listeners told of every revoked token so that its leases end with it.
 */
export class TokenStore {
  readonly #tokens = new Map<string, MutableEntry>();
  /** Vault salts token ids before they name anything in storage, token leases included. */
  readonly #salt = randomBytes(32);
  readonly #timers = new Map<string, CancelTimer>();
  readonly #onRevoked: ((tokenId: string) => Promise<void>)[] = [];
  readonly #clock: DevServerClock;
  /** Token id → its salted hashes, and each hash → the token id: `byLeaseId` without hashing every token. */
  readonly #hashes = new Map<string, TokenHashes>();
  readonly #byHash = new Map<string, string>();
  /** Parent token id → its children's ids, in creation order. */
  readonly #children = new Map<string, Set<string>>();

  constructor(clock: DevServerClock = systemDevServerClock) {
    this.#clock = clock;
  }

  /** The store's clock, for the auth methods that issue its tokens. */
  get clock(): DevServerClock {
    return this.#clock;
  }

  /** Tokens that exist now (not yet expired and revoked). */
  get size(): number {
    return this.#tokens.size;
  }

  /** Adds the root token (no TTL, `root` policy). */
  addRoot(id: string): TokenEntry {
    const entry: MutableEntry = {
      ...this.#base(id),
      policies: ['root'],
      // What `bao server -dev -dev-root-token-id=…` makes: a root token created through auth/token/create.
      displayName: 'token',
      path: 'auth/token/create',
      parent: undefined,
      creationTtl: 0,
      explicitMaxTtl: 0,
      backendMaxTtl: 0,
      renewable: false,
      grantedTtl: 0,
      expiresAt: undefined,
      meta: null,
      period: 0,
      type: 'service',
      entityId: '',
    };
    this.#tokens.set(id, entry);
    this.#hashesOf(id);
    return entry;
  }

  /** Creates a token; `warnings` carries Vault's max-TTL capping warning. */
  create(spec: TokenSpec): { entry: TokenEntry; warnings: string[] } {
    const type = spec.type ?? 'service';
    // Batch tokens carry their times in whole seconds (they are encrypted blobs, not store entries).
    const now = type === 'batch' ? Math.floor(this.#clock.now() / 1000) * 1000 : this.#clock.now();
    const period = spec.period ?? 0;
    const { ttl, warnings } = periodicOrCalculatedTtl(period, spec.explicitMaxTtl ?? 0, {
      increment: 0,
      backendTtl: spec.ttl,
      backendMaxTtl: spec.backendMaxTtl ?? 0,
      explicitMaxTtl: spec.explicitMaxTtl ?? 0,
      now,
    });
    const policies = new Set(spec.policies.map((name) => name.toLowerCase()));
    // A root token's children get no `default` added (token_store.go, handleCreateCommon).
    if (!spec.noDefaultPolicy && !policies.has('root')) policies.add('default');
    const id =
      type === 'batch' ? `b.${randomBytes(150).toString('base64url')}` : `${SERVICE_TOKEN_PREFIX}${base62(24)}`;
    const entry: MutableEntry = {
      ...this.#base(id),
      issuedAt: now,
      accessor: type === 'batch' ? '' : base62(24),
      policies: [...policies].sort(),
      displayName: spec.displayName,
      meta: spec.meta ?? null,
      path: spec.path,
      parent: spec.parent,
      creationTtl: ttl,
      explicitMaxTtl: spec.explicitMaxTtl ?? 0,
      backendMaxTtl: spec.backendMaxTtl ?? 0,
      renewable: type === 'batch' ? false : (spec.renewable ?? true),
      grantedTtl: ttl,
      expiresAt: now + ttl * 1000,
      period,
      type,
      entityId: spec.entityId ?? '',
    };
    this.#tokens.set(entry.id, entry);
    this.#hashesOf(entry.id);
    if (entry.parent !== undefined) {
      const siblings = this.#children.get(entry.parent) ?? new Set<string>();
      siblings.add(entry.id);
      this.#children.set(entry.parent, siblings);
    }
    this.#arm(entry);
    return { entry, warnings };
  }

  /** The live token with this id, or `undefined` (unknown, revoked or expired). */
  lookup(id: string | undefined): TokenEntry | undefined {
    if (id === undefined || id === '') return undefined;
    const entry = this.#tokens.get(id);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.#clock.now()) return undefined;
    return entry;
  }

  /** `auth/token/renew-self`: extends the TTL by `increment` (or the creation TTL), capped at the max TTL. */
  renew(id: string, increment: number): { entry: TokenEntry; warnings: string[] } {
    const entry = this.#tokens.get(id);
    if (entry === undefined) throw VaultErrorReply.badRequest('invalid lease ID');
    if (entry.type === 'batch') throw VaultErrorReply.badRequest('batch tokens cannot be renewed');
    if (entry.expiresAt === undefined || !entry.renewable) throw VaultErrorReply.badRequest('lease is not renewable');
    const now = this.#clock.now();
    try {
      const { ttl, warnings } = periodicOrCalculatedTtl(entry.period, entry.explicitMaxTtl, {
        increment,
        backendTtl: entry.creationTtl,
        backendMaxTtl: entry.backendMaxTtl,
        explicitMaxTtl: entry.explicitMaxTtl,
        issuedAt: entry.issuedAt,
        now,
      });
      entry.expiresAt = now + ttl * 1000;
      entry.grantedTtl = ttl;
      entry.lastRenewalAt = now;
      this.#arm(entry);
      return { entry, warnings };
    } catch (error) {
      if (error instanceof PastMaxTtlError) throw VaultErrorReply.internal(error.message);
      throw error;
    }
  }

  /** Revokes a token and its children; listeners end their leases first, as Vault does. */
  async revoke(id: string): Promise<void> {
    const entry = this.#tokens.get(id);
    if (entry === undefined) return;
    for (const child of [...(this.#children.get(id) ?? [])]) await this.revoke(child);
    this.#children.delete(id);
    if (entry.parent !== undefined) this.#children.get(entry.parent)?.delete(id);
    this.#timers.get(id)?.();
    this.#timers.delete(id);
    this.#tokens.delete(id);
    this.#forgetHashes(id);
    for (const listener of this.#onRevoked) await listener(id);
  }

  /** Makes a token invalid at once, as if its TTL had passed, and revokes it (and its leases). */
  expireNow(id: string): void {
    const entry = this.#tokens.get(id);
    if (entry === undefined) return;
    entry.expiresAt = this.#clock.now() - 1;
    void this.revoke(id).catch(() => {});
  }

  /**
   * The lease id of a service token, as `sys/leases/lookup` lists it: its creation path and its
   * salted id (`auth/token/create/h<64 hex>`; the dev root token's is the older 40-hex form);
   * `undefined` for batch tokens, which have none.
   */
  leaseIdOf(entry: TokenEntry): string | undefined {
    if (entry.type === 'batch') return undefined;
    const hashes = this.#hashesOf(entry.id);
    return entry.expiresAt === undefined ? `${entry.path}/${hashes.sha1}` : `${entry.path}/h${hashes.sha256}`;
  }

  /** The live token whose lease id this is. */
  byLeaseId(leaseId: string): TokenEntry | undefined {
    const last = leaseId.slice(leaseId.lastIndexOf('/') + 1);
    const id = this.#byHash.get(last) ?? (last.startsWith('h') ? this.#byHash.get(last.slice(1)) : undefined);
    const entry = id === undefined ? undefined : this.#tokens.get(id);
    if (entry === undefined || this.lookup(entry.id) === undefined) return undefined;
    return this.leaseIdOf(entry) === leaseId ? entry : undefined;
  }

  #hashesOf(id: string): TokenHashes {
    let hashes = this.#hashes.get(id);
    if (hashes === undefined) {
      hashes = {
        sha1: createHmac('sha1', this.#salt).update(id).digest('hex'),
        sha256: createHmac('sha256', this.#salt).update(id).digest('hex'),
      };
      this.#hashes.set(id, hashes);
      this.#byHash.set(hashes.sha1, id);
      this.#byHash.set(hashes.sha256, id);
    }
    return hashes;
  }

  #forgetHashes(id: string): void {
    const hashes = this.#hashes.get(id);
    if (hashes === undefined) return;
    this.#byHash.delete(hashes.sha1);
    this.#byHash.delete(hashes.sha256);
    this.#hashes.delete(id);
  }

  /** Lease ids of the live tokens with a TTL. */
  leaseIds(): string[] {
    return [...this.#tokens.values()]
      .filter((entry) => this.lookup(entry.id) !== undefined)
      .flatMap((entry) => this.leaseIdOf(entry) ?? []);
  }

  /** Called with the id of every token revoked (by call, expiry or parent). */
  onRevoked(listener: (tokenId: string) => Promise<void>): void {
    this.#onRevoked.push(listener);
  }

  /** Stops expiry timers; tokens stay as they are. */
  stop(): void {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  /** The `auth` block Vault answers a login, token creation or renewal with. */
  authBlock(entry: TokenEntry, orphan = entry.parent === undefined): AuthBlock {
    return {
      client_token: entry.id,
      accessor: entry.accessor,
      policies: entry.policies,
      token_policies: entry.policies,
      metadata: entry.meta,
      lease_duration: entry.grantedTtl,
      renewable: entry.renewable,
      entity_id: entry.entityId,
      token_type: entry.type,
      orphan,
      mfa_requirement: null,
      num_uses: 0,
    };
  }

  /** `data` of `auth/token/lookup-self`. */
  lookupData(entry: TokenEntry): Record<string, unknown> {
    const now = this.#clock.now();
    return {
      accessor: entry.accessor,
      creation_time: Math.floor(entry.issuedAt / 1000),
      creation_ttl: entry.creationTtl,
      display_name: entry.displayName,
      entity_id: entry.entityId,
      expire_time: entry.expiresAt === undefined ? null : rfc3339(entry.expiresAt),
      explicit_max_ttl: entry.explicitMaxTtl,
      id: entry.id,
      issue_time: rfc3339(entry.issuedAt),
      ...(entry.lastRenewalAt === undefined
        ? {}
        : { last_renewal: rfc3339(entry.lastRenewalAt), last_renewal_time: Math.floor(entry.lastRenewalAt / 1000) }),
      meta: entry.meta,
      num_uses: 0,
      orphan: entry.parent === undefined,
      path: entry.path,
      ...(entry.period > 0 ? { period: entry.period } : {}),
      policies: entry.policies,
      renewable: entry.renewable,
      ttl: entry.expiresAt === undefined ? 0 : remainingSeconds(entry.expiresAt, now),
      type: entry.type,
    };
  }

  #base(id: string): Pick<MutableEntry, 'id' | 'accessor' | 'issuedAt' | 'lastRenewalAt'> {
    return { id, accessor: base62(24), issuedAt: this.#clock.now(), lastRenewalAt: undefined };
  }

  #arm(entry: MutableEntry): void {
    this.#timers.get(entry.id)?.();
    if (entry.expiresAt === undefined) return;
    this.#timers.set(
      entry.id,
      scheduleAt(this.#clock, entry.expiresAt, () => void this.revoke(entry.id).catch(() => {})),
    );
  }
}

/**
 * A periodic token's TTL is its period at creation and at every renewal, with no max TTL but an
 * explicit one (token_store.go, handleCreateCommon and the renewal's `framework.LeaseExtend` skip);
 * any other token follows `calculateTtl`.
 */
function periodicOrCalculatedTtl(
  period: number,
  explicitMaxTtl: number,
  input: Parameters<typeof calculateTtl>[0],
): { ttl: number; warnings: string[] } {
  if (period <= 0) return calculateTtl(input);
  if (explicitMaxTtl <= 0) return { ttl: period, warnings: [] };
  // Object.assign: V8 (Node 20) copies a spread followed by properties on a slow path.
  return calculateTtl(Object.assign({}, input, { increment: period, backendMaxTtl: 0 }));
}
