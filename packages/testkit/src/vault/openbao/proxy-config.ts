/** What `bao proxy` is configured with by {@link proxyConfigHcl}. */
export interface ProxyConfigSpec {
  /** The Vault (or recorder in front of it) the proxy forwards to. */
  readonly vaultAddress: string;
  /** Where the proxy listens, `host:port`. */
  readonly listenAddress: string;
  readonly autoAuth: ProxyAutoAuth;
}

/** How the proxy logs in: AppRole from two files, or Kubernetes with a service-account token file. */
export type ProxyAutoAuth =
  | {
      readonly method: 'approle';
      readonly roleIdFile: string;
      readonly secretIdFile: string;
      /** Default `approle`. */
      readonly mount?: string;
    }
  | {
      readonly method: 'kubernetes';
      readonly role: string;
      /** The service-account JWT (in a pod: /var/run/secrets/kubernetes.io/serviceaccount/token). */
      readonly tokenFile: string;
      /** Default `kubernetes`. */
      readonly mount?: string;
    };

/**
 * The HCL a user writes for OpenBao Proxy (or Vault Proxy) in front of Vault, so that processes on
 * the node set only `VAULT_AGENT_ADDR`: AppRole or Kubernetes auto-auth (the proxy logs in once), a lease cache
 * shared by every process, and `use_auto_auth_token` so requests without a token get the proxy's.
 *
 * @example
 * proxyConfigHcl({
 *   vaultAddress: 'https://vault:8200',
 *   listenAddress: '127.0.0.1:8100',
 *   autoAuth: { method: 'kubernetes', role: 'my-app', tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
 * });
 */
export function proxyConfigHcl(spec: ProxyConfigSpec): string {
  return `vault {
  address = ${JSON.stringify(spec.vaultAddress)}
}

auto_auth {
${autoAuthMethod(spec.autoAuth)}
}

cache {}

api_proxy {
  use_auto_auth_token = true
}

listener "tcp" {
  address     = ${JSON.stringify(spec.listenAddress)}
  tls_disable = true
}
`;
}

function autoAuthMethod(auth: ProxyAutoAuth): string {
  if (auth.method === 'approle') {
    return `  method "approle" {
    mount_path = ${JSON.stringify(`auth/${auth.mount ?? 'approle'}`)}
    config = {
      role_id_file_path                   = ${JSON.stringify(auth.roleIdFile)}
      secret_id_file_path                 = ${JSON.stringify(auth.secretIdFile)}
      remove_secret_id_file_after_reading = false
    }
  }`;
  }
  return `  method "kubernetes" {
    mount_path = ${JSON.stringify(`auth/${auth.mount ?? 'kubernetes'}`)}
    config = {
      role       = ${JSON.stringify(auth.role)}
      token_path = ${JSON.stringify(auth.tokenFile)}
    }
  }`;
}
