import { expect, it } from 'vitest';
import { requestTemplate } from './request-template.js';

it.each([
  ['database/creds/readonly', 'database/creds/:role'],
  ['db/prod/static-creds/app', 'db/prod/static-creds/:name'],
  ['auth/approle/role/app/secret-id', 'auth/approle/role/:name/secret-id'],
  ['auth/kubernetes/login', 'auth/kubernetes/login'],
  ['sys/leases/revoke-prefix/database/creds', 'sys/leases/revoke-prefix/:prefix'],
  ['sys/internal/ui/mounts/kv/app', 'sys/internal/ui/mounts/:path'],
  ['secret/data/team/app', 'secret/data/:path'],
  ['sys/leases/renew', 'sys/leases/renew'],
])('%s is counted as %s, as the dev server names it', (path, template) => {
  expect(requestTemplate(path)).toBe(template);
});
