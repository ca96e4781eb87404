import { VaultErrorReply } from './vault-error-reply.js';
import type { VaultOperation } from './vault-request.js';
import type { HandlerResult } from './vault-response.js';

/** Path parameters captured by `:name` (one segment) and `*name` (the rest) in a route pattern. */
export type RouteParams = Readonly<Record<string, string>>;

export type RouteHandler<Request> = (request: Request, params: RouteParams) => Promise<HandlerResult> | HandlerResult;

/** A route that serves a path, and the parameters it captured. */
interface Match<Request> {
  readonly route: Route<Request>;
  readonly params: RouteParams;
}

interface Route<Request> {
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly handlers: Partial<Record<VaultOperation, RouteHandler<Request>>>;
}

/** A request a backend routes: the operation and the path below its mount. */
export interface RoutableRequest {
  readonly operation: VaultOperation;
  readonly relativePath: string;
}

/**
 * The paths of one backend, like `framework.Path` patterns in a Vault plugin: literal segments,
 * `:name` for one segment and `*name` for one or more. The first matching pattern wins.
 *
 * @example
 * const routes = new RouteTable<Req>().add('creds/:role', { read: (req, p) => issue(p.role) });
 */
export class RouteTable<Request extends RoutableRequest> {
  readonly #routes: Route<Request>[] = [];
  /**
   * The match {@link template} made, taken by the {@link dispatch} of the same path that follows it
   * in the server (once: its params go to one handler only).
   */
  #matched: { readonly relativePath: string; readonly found: Match<Request> | undefined } | undefined;

  add(pattern: string, handlers: Route<Request>['handlers']): this {
    this.#routes.push({ pattern, segments: pattern === '' ? [] : pattern.split('/'), handlers });
    this.#matched = undefined;
    return this;
  }

  /** The pattern that serves `relativePath`, with `:name` placeholders (for request counters). */
  template(relativePath: string): string | undefined {
    const found = this.#match(relativePath);
    this.#matched = { relativePath, found };
    return found?.route.pattern.replace(/\*/g, ':');
  }

  /** Runs the matching handler: 404 `unsupported path` without a route, 405 without the operation. */
  async dispatch(request: Request): Promise<HandlerResult> {
    const matched = this.#matched;
    this.#matched = undefined;
    const found = matched?.relativePath === request.relativePath ? matched.found : this.#match(request.relativePath);
    if (found === undefined) throw VaultErrorReply.unsupportedPath();
    const handler = found.route.handlers[request.operation] ?? this.#createFallback(found.route, request.operation);
    if (handler === undefined) throw VaultErrorReply.unsupportedOperation();
    return handler(request, found.params);
  }

  // Vault decides between create and update with an existence check; a route that only knows one
  // of them serves both.
  #createFallback(route: Route<Request>, operation: VaultOperation): RouteHandler<Request> | undefined {
    if (operation === 'create') return route.handlers.update;
    return undefined;
  }

  #match(relativePath: string): Match<Request> | undefined {
    const parts = relativePath === '' ? [] : relativePath.split('/');
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (params !== undefined) return { route, params };
    }
    return undefined;
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): RouteParams | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const segment = pattern[i] ?? '';
    if (segment.startsWith('*')) {
      const rest = parts.slice(i);
      if (rest.length === 0) return undefined;
      params[segment.slice(1)] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === '') return undefined;
    if (segment.startsWith(':')) params[segment.slice(1)] = part;
    else if (segment !== part) return undefined;
  }
  return pattern.length === parts.length ? params : undefined;
}
