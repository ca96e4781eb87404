/** One node of an OpenBao cluster with integrated (raft) storage, as {@link raftServerConfigHcl} writes it. */
export interface RaftNodeSpec {
  /** Raft's name for the node, e.g. `node1`. */
  readonly nodeId: string;
  /** Where raft keeps its data (a directory of this node alone). */
  readonly dataDirectory: string;
  /** The API listener, `host:port`; clients and `sys/*` calls go here. */
  readonly apiAddress: string;
  /** The cluster listener, `host:port`: raft replication and request forwarding between nodes. */
  readonly clusterAddress: string;
  /** API addresses (`http://host:port`) of the nodes this one asks to join; empty for a lone node. */
  readonly joinApiAddresses: readonly string[];
  /**
   * Raft's timing multiplier: 1 is the tightest timing (elections within ~1 s of a lost leader,
   * measured ~2.4 s to a new active node here); OpenBao's default (5, when omitted) is for
   * production networks (~9 s measured here).
   */
  readonly performanceMultiplier?: number;
}

/**
 * The HCL of a `bao server` (server mode, not `-dev`) that stores its data in raft, listens on
 * plain HTTP (loopback tests only: TLS off), and joins its peers by `retry_join`. `disable_mlock`
 * because raft's mmapped files and mlock do not mix (OpenBao's own advice for integrated storage).
 *
 * @example
 * raftServerConfigHcl({
 *   nodeId: 'node2',
 *   dataDirectory: '/tmp/bao-node2',
 *   apiAddress: '127.0.0.1:8210',
 *   clusterAddress: '127.0.0.1:8211',
 *   joinApiAddresses: ['http://127.0.0.1:8200'],
 * });
 */
export function raftServerConfigHcl(spec: RaftNodeSpec): string {
  const joins = spec.joinApiAddresses
    .map((address) => `  retry_join {\n    leader_api_addr = ${JSON.stringify(address)}\n  }\n`)
    .join('');
  const multiplier =
    spec.performanceMultiplier === undefined ? '' : `  performance_multiplier = ${spec.performanceMultiplier}\n`;
  return `storage "raft" {
  path = ${JSON.stringify(spec.dataDirectory)}
  node_id = ${JSON.stringify(spec.nodeId)}
${multiplier}${joins}}

listener "tcp" {
  address = ${JSON.stringify(spec.apiAddress)}
  cluster_address = ${JSON.stringify(spec.clusterAddress)}
  tls_disable = true
}

api_addr = ${JSON.stringify(`http://${spec.apiAddress}`)}
cluster_addr = ${JSON.stringify(`http://${spec.clusterAddress}`)}
disable_mlock = true
ui = false
`;
}
