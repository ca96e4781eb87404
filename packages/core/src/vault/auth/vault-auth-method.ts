import type { TokenGrant } from '../vault-response.js';
import type { VaultRequest } from '../vault-transport.js';

/**
 * Sends one request with retries and typed errors; what an auth method uses to log in. `hint`
 * replaces the generic advice of a 403/404 error (e.g. which role was refused).
 */
export type VaultCall = (
  request: VaultRequest,
  options: {
    readonly retry: boolean;
    readonly hint?: string;
    /** Called as each attempt is sent (the first, and each retry). */
    readonly onAttempt?: () => void;
  },
) => Promise<unknown>;

/**
 * One way to get a Vault token: a fixed token, or a login (Kubernetes, AppRole) that can be
 * repeated when the token can no longer be renewed.
 */
export interface VaultAuthMethod {
  readonly kind: 'token' | 'kubernetes' | 'approle' | 'agent';
  /** Where the credentials come from, for messages, e.g. `VAULT_TOKEN` (never the token itself). */
  readonly description: string;
  /** True when {@link login} gets a new token; false for a fixed token, which cannot be replaced. */
  readonly canLogin: boolean;
  /** Advice for a 403 seen with this method's token. */
  readonly deniedHint: string;
  /** Gets a token (for a fixed token: looks up its TTL). Reads files such as the JWT anew each time. */
  login(call: VaultCall): Promise<TokenGrant>;
  /**
   * For a fixed token read from a file (`~/.vault-token`): a newer token written there since
   * (`vault login`), looked up, or `undefined` when the file still holds the same one.
   */
  refresh?(call: VaultCall): Promise<TokenGrant | undefined>;
}

/** Explicit authentication, instead of the chain read from the environment. */
export type VaultAuthOptions =
  | { readonly method: 'token'; readonly token: string }
  | {
      readonly method: 'kubernetes';
      /** Default `VAULT_ROLE`, else `APPLICATION_NAME`, else the namespace file beside the JWT. */
      readonly role?: string;
      /** Auth mount (`kubernetes`) or full login path (`auth/kubernetes/prod/login`). */
      readonly authPath?: string;
      /** Service-account JWT file; default `$K8S_SERVICEACCOUNT_PATH/token`. */
      readonly jwtPath?: string;
    }
  | { readonly method: 'approle'; readonly roleId: string; readonly secretId?: string; readonly mount?: string };
