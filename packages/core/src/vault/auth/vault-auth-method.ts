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
  | {
      readonly method: 'token';
      /** The Vault token, used as is and renewed while Vault allows; no other login is tried. */
      readonly token: string;
    }
  | {
      readonly method: 'kubernetes';
      /**
       * The Vault role of the Kubernetes auth method to log in as.
       *
       * @defaultValue `VAULT_ROLE`, else `APPLICATION_NAME`, else the pod's namespace (the `namespace` file beside the JWT)
       */
      readonly role?: string;
      /**
       * The auth mount (`kubernetes`, `auth/kubernetes`) or a whole login path ending in `/login`
       * (`auth/kubernetes/prod/login`).
       *
       * @defaultValue `VAULT_AUTH_PATH`, else `VKS_AUTH_PATH`, else `kubernetes`
       */
      readonly authPath?: string;
      /**
       * The service-account JWT file, read anew at every login (projected tokens rotate).
       *
       * @defaultValue `$K8S_SERVICEACCOUNT_PATH/token`, else `/var/run/secrets/kubernetes.io/serviceaccount/token`
       */
      readonly jwtPath?: string;
    }
  | {
      readonly method: 'approle';
      /** The AppRole's role ID (`role_id`). */
      readonly roleId: string;
      /**
       * The secret ID (`secret_id`); leave it out for roles created with `bind_secret_id=false`.
       * `VAULT_SECRET_ID` is not read when `auth` is given.
       */
      readonly secretId?: string;
      /**
       * The AppRole auth mount, with or without `auth/` in front.
       *
       * @defaultValue `approle`
       */
      readonly mount?: string;
    };
