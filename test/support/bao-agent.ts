import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One template the agent renders: its text (consul-template syntax) and where it writes it. */
export interface AgentTemplate {
  readonly contents: string;
  readonly destination: string;
}

/** A running `bao agent` (OpenBao's Vault Agent) rendering templates. */
export interface BaoAgent {
  readonly pid: number;
  /** The agent's log so far (no secrets at the default level). */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `bao agent` with token-file auto-auth (the token it is given) and `templates`, and waits
 * until every destination has been rendered once (what it records, not a guess of its speed).
 *
 * @example
 * const agent = await startBaoAgent({ binary, vaultAddress, token, templates: [{ contents, destination }] });
 */
export async function startBaoAgent(options: {
  readonly binary: string;
  readonly vaultAddress: string;
  readonly token: string;
  readonly templates: readonly AgentTemplate[];
}): Promise<BaoAgent> {
  const directory = await mkdtemp(join(tmpdir(), 'dataverk-bao-agent-'));
  const tokenFile = join(directory, 'token');
  await writeFile(tokenFile, options.token, { mode: 0o600 });
  const templates = options.templates
    .map(
      (t) => `template {
  contents    = ${JSON.stringify(t.contents)}
  destination = ${JSON.stringify(t.destination)}
  perms       = "0600"
}`,
    )
    .join('\n');
  const config = join(directory, 'agent.hcl');
  await writeFile(
    config,
    `vault {
  address = ${JSON.stringify(options.vaultAddress)}
}
auto_auth {
  method "token_file" {
    config = {
      token_file_path = ${JSON.stringify(tokenFile)}
    }
  }
}
template_config {
  exit_on_retry_failure = false
}
${templates}
`,
  );
  const logFile = join(directory, 'agent.log');
  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.binary, ['agent', `-config=${config}`], {
      env: { PATH: process.env.PATH ?? '', HOME: directory },
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(directory, { recursive: true, force: true });
    })();
    return stopping;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const rendered = await Promise.all(
      options.templates.map((t) =>
        stat(t.destination).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (rendered.every(Boolean)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const reason = `bao agent did not render its templates (exit ${child.exitCode}); log: ${log().slice(-2_000)}`;
      await stop();
      throw new Error(reason);
    }
    await sleep(50);
  }
  return { pid: child.pid ?? 0, log, stop };
}
