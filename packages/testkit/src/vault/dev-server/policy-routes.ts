import type { BackendRequest } from './logical-backend.js';
import type { PolicyStore } from './policy-store.js';
import { field } from './request-fields.js';
import type { RouteTable } from './route-table.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { logical, noContent } from './vault-response.js';

/**
 * `sys/policies/acl/:name` (api-docs/system/policies) and the older `sys/policy/:name`
 * (api-docs/system/policy), which names the HCL `rules` instead of `policy`.
 */
export function addPolicyRoutes(routes: RouteTable<BackendRequest>, policies: PolicyStore): void {
  const read = (name: string, key: 'policy' | 'rules') => {
    const text = policies.read(name);
    if (text === undefined) throw VaultErrorReply.notFound();
    return logical({ name: name.toLowerCase(), [key]: text });
  };
  const write = (name: string, text: string) => {
    policies.write(name, text);
    return noContent();
  };
  const remove = (name: string) => {
    policies.delete(name);
    return noContent();
  };
  routes
    .add('policies/acl', { list: () => logical({ keys: policies.names() }) })
    .add('policies/acl/:name', {
      read: (_request, params) => read(params.name ?? '', 'policy'),
      update: (request, params) => write(params.name ?? '', field.string(request.data, 'policy')),
      delete: (_request, params) => remove(params.name ?? ''),
    })
    .add('policy', {
      read: () => logical({ keys: policies.names(), policies: policies.names() }),
      list: () => logical({ keys: policies.names() }),
    })
    .add('policy/:name', {
      read: (_request, params) => read(params.name ?? '', 'rules'),
      update: (request, params) =>
        write(params.name ?? '', field.string(request.data, 'policy') || field.string(request.data, 'rules')),
      delete: (_request, params) => remove(params.name ?? ''),
    });
}
