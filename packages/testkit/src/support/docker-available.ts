import { existsSync } from 'node:fs';
import { request } from 'node:http';

const DOCKER_SOCKET = '/var/run/docker.sock';
const PING_TIMEOUT_MS = 1_000;

/** Why Docker is or is not usable here, in words a test report can print. */
export interface DockerAvailability {
  readonly available: boolean;
  readonly reason: string;
}

/**
 * Tells whether a Docker engine answers `GET /_ping`, on `DOCKER_HOST` (unix or tcp) or the default
 * socket. A Docker client binary alone is not enough: testcontainers needs an engine.
 *
 * @example
 * const docker = await dockerAvailability();
 * if (!docker.available) console.log(`testcontainers skipped: ${docker.reason}`);
 */
export async function dockerAvailability(env: NodeJS.ProcessEnv = process.env): Promise<DockerAvailability> {
  const target = dockerTarget(env.DOCKER_HOST);
  if (target === undefined) {
    return { available: false, reason: `no DOCKER_HOST and no socket at ${DOCKER_SOCKET}` };
  }
  try {
    await ping(target);
    return { available: true, reason: `Docker engine answered at ${describe(target)}` };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { available: false, reason: `no Docker engine answered at ${describe(target)} (${why})` };
  }
}

type DockerTarget = { socketPath: string } | { host: string; port: number };

function dockerTarget(dockerHost: string | undefined): DockerTarget | undefined {
  if (dockerHost === undefined || dockerHost === '') {
    return existsSync(DOCKER_SOCKET) ? { socketPath: DOCKER_SOCKET } : undefined;
  }
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

function describe(target: DockerTarget): string {
  return 'socketPath' in target ? target.socketPath : `${target.host}:${target.port}`;
}

function ping(target: DockerTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: PING_TIMEOUT_MS }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`HTTP ${res.statusCode}`));
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end();
  });
}
