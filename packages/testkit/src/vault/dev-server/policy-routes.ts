import { rfc3339 } from './go-time-format.js';
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
  // OpenBao repeats the data of sys/policy reads at the top level (internal/http/handler.go,
  // injectDataIntoTopRoutes), not that of sys/policies/acl.
  const read = (name: string, key: 'policy' | 'rules') => {
    const record = policies.record(name);
    if (record === undefined) throw VaultErrorReply.notFound();
    const data = {
      allow_slashes_in_identity_templates: false,
      allow_wildcards_in_identity_templates: false,
      cas_required: false,
      ...(record.modifiedAt === undefined ? {} : { modified: rfc3339(record.modifiedAt) }),
      name: name.toLowerCase(),
      [key]: record.text,
      version: record.version,
    };
    return logical(data, key === 'rules' ? { topLevel: data } : {});
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
      read: () => {
        const data = { keys: policies.names(), policies: policies.names() };
        return logical(data, { topLevel: data });
      },
      list: () => logical({ keys: policies.names() }),
    })
    .add('policy/:name', {
      read: (_request, params) => read(params.name ?? '', 'rules'),
      update: (request, params) =>
        write(params.name ?? '', field.string(request.data, 'policy') || field.string(request.data, 'rules')),
      delete: (_request, params) => remove(params.name ?? ''),
    });
}
