/** What `bao proxy` is configured with by {@link proxyConfigHcl}. */
export interface ProxyConfigSpec {
  /** The Vault (or recorder in front of it) the proxy forwards to. */
  readonly vaultAddress: string;
  /** Where the proxy listens, `host:port`. */
  readonly listenAddress: string;
  /** AppRole auto-auth: files holding the role_id and secret_id. */
  readonly roleIdFile: string;
  readonly secretIdFile: string;
  /** AppRole mount, default `approle`. */
  readonly mount?: string;
}

/**
 * The HCL a user writes for OpenBao Proxy (or Vault Proxy) in front of Vault, so that processes on
 * the node set only `VAULT_AGENT_ADDR`: AppRole auto-auth (the proxy logs in once), a lease cache
 * shared by every process, and `use_auto_auth_token` so requests without a token get the proxy's.
 *
 * @example
 * proxyConfigHcl({ vaultAddress: 'https://vault:8200', listenAddress: '127.0.0.1:8100',
 *   roleIdFile: '/etc/proxy/role-id', secretIdFile: '/etc/proxy/secret-id' });
 */
export function proxyConfigHcl(spec: ProxyConfigSpec): string {
  return `vault {
  address = ${JSON.stringify(spec.vaultAddress)}
}

auto_auth {
  method "approle" {
    mount_path = ${JSON.stringify(`auth/${spec.mount ?? 'approle'}`)}
    config = {
      role_id_file_path                   = ${JSON.stringify(spec.roleIdFile)}
      secret_id_file_path                 = ${JSON.stringify(spec.secretIdFile)}
      remove_secret_id_file_after_reading = false
    }
  }
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
