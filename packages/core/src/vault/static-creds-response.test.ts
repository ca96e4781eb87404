import { describe, expect, it } from 'vitest';
import { parseDatabaseSecret } from './vault-response.js';

const PATH = 'database/static-creds/app';

/** OpenBao 2.x's answer for a static role (`path_creds_create.go`: ttl and rotation_period are Go `Seconds()` floats). */
function staticAnswer(data: Record<string, unknown>): Record<string, unknown> {
  return {
    request_id: 'r',
    lease_id: '',
    lease_duration: 0,
    renewable: false,
    data: {
      last_vault_rotation: '2026-12-07T16:06:51.981917468Z',
      password: 'not-shown-anywhere',
      rotation_period: 86_400,
      ttl: 3_599,
      username: 'app',
      ...data,
    },
    warnings: null,
  };
}

describe('static-creds answers', () => {
  it('parses ttl, last_vault_rotation and rotation_period into staticRotation', () => {
    const secret = parseDatabaseSecret(staticAnswer({}), PATH);
    expect(secret).toMatchObject({ leaseId: '', leaseDuration: 0, renewable: false, username: 'app' });
    expect(secret.staticRotation).toEqual({
      ttl: 3_599,
      lastVaultRotation: '2026-12-07T16:06:51.981917468Z',
      rotationPeriod: 86_400,
    });
  });

  it('has no staticRotation for a dynamic role', () => {
    const body = { lease_id: 'database/creds/ro/x', lease_duration: 60, renewable: true };
    const secret = parseDatabaseSecret({ ...body, data: { username: 'v-ro', password: 'p' } }, 'database/creds/ro');
    expect(secret.staticRotation).toBeUndefined();
  });

  it.each([
    ['data.ttl', { ttl: '10' }],
    ['data.ttl', { ttl: -1 }],
    ['data.ttl', { ttl: undefined }],
    ['data.last_vault_rotation', { last_vault_rotation: 'yesterday' }],
    ['data.last_vault_rotation', { last_vault_rotation: undefined }],
    ['data.rotation_period', { rotation_period: 0 }],
    ['data.rotation_period', { rotation_period: undefined }],
  ])('names %s when it is missing or malformed, never a value', (field, data) => {
    let error: unknown;
    try {
      parseDatabaseSecret(staticAnswer(data), PATH);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'VAULT_RESPONSE_INVALID', field, path: PATH });
    expect((error as Error).message).toContain(field);
    expect((error as Error).message).not.toContain('not-shown-anywhere');
    expect((error as Error).message).not.toContain('yesterday');
  });
});
