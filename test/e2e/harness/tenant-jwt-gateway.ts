// The tenants' authentication and access policies of a stack on their own, as Envoy Gateway would
// serve them, with no backend: the platform's GatewayClass, Gateway (its listener made plain HTTP),
// Namespaces, Gateway and route SecurityPolicies and ClientTrafficPolicy as rendered, plus a
// `llm-tenants` HTTPRoute with the AIGatewayRoute's rules (one per model's `x-ai-eg-model`), each
// answered by an Envoy Gateway HTTPRouteFilter direct response, and a route of the kind KServe makes
// per model, which has no policy of its own. The AI Gateway is the one part absent: the caller sends
// the model header its filter would set from the body. Pure; tenant-jwt.e2e.ts translates the
// objects with egctl and runs Envoy on the result.

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), o);

/** Envoy Gateway's controller name, which the platform's GatewayClass must carry to be translated. */
const ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
/** Port of the plain HTTP listener that replaces the Gateway's own (Envoy Gateway keeps ports above 1024 as they are). */
export const HTTP_LISTENER_PORT = 8080;
/** Response header echoing a request header as it reached the route (after authentication and the early header removal). */
export const seenHeader = (header: string): string => `x-seen-${header}`;
/** Name of the route without a policy of its own. */
export const GATEWAY_ONLY_ROUTE = "gateway-only";

export interface TenantGatewaySetup {
  /** What egctl translates. */
  readonly input: Json[];
  /** `<namespace>/<name>` of the Gateway, the key of its xDS in egctl's output. */
  readonly gateway: string;
  /** The listener's hostname: the Host requests must carry. */
  readonly hostname: string;
  /** Path prefix of the route without a policy of its own. */
  readonly gatewayOnlyPath: string;
  /** Every header a JWT provider fills from a claim, echoed back by the answers. */
  readonly claimHeaders: string[];
}

function one(objects: readonly Json[], kind: string, name: string | undefined, what: string): Json {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || get(o, "metadata", "name") === name));
  if (found.length !== 1) {
    throw new Error(`${what}: expected one ${kind}${name !== undefined ? ` named ${name}` : ""} among the rendered objects, found ${found.length}`);
  }
  return found[0];
}

/**
 * The setup for `rendered` (a stack's Kubernetes objects): `routeName` is the tenants' route and
 * its SecurityPolicy, `gatewayPolicy` the Gateway's SecurityPolicy and ClientTrafficPolicy, and
 * `echo` the request headers each answer reports back. `granted` are a model template stack's
 * objects: its tenants' route (same name, its own namespace) and SecurityPolicy join the setup.
 */
export function tenantGatewaySetup(rendered: readonly Json[], routeName: string, gatewayPolicy: string, echo: readonly string[], granted: readonly Json[] = []): TenantGatewaySetup {
  const aiRoute = one(rendered, "AIGatewayRoute", routeName, "the tenants' route");
  const gatewaySecurity = one(rendered, "SecurityPolicy", gatewayPolicy, "the Gateway's authentication");
  const routeSecurity = one(rendered, "SecurityPolicy", routeName, "the route's access rules");
  const clientTraffic = one(rendered, "ClientTrafficPolicy", gatewayPolicy, "the early header removal");
  const parent = ((get(aiRoute, "spec", "parentRefs") ?? []) as Json[])[0];
  if (parent === undefined) {
    throw new Error(`AIGatewayRoute ${routeName}: spec.parentRefs is empty, so there is no Gateway to serve it`);
  }
  const gatewayNamespace = String(parent.namespace ?? get(aiRoute, "metadata", "namespace"));
  const gateway = rendered.find((o) => o.kind === "Gateway" && get(o, "metadata", "name") === parent.name && get(o, "metadata", "namespace") === gatewayNamespace);
  if (gateway === undefined) {
    throw new Error(`AIGatewayRoute ${routeName}: its parent Gateway ${gatewayNamespace}/${String(parent.name)} is not among the rendered objects`);
  }
  const className = String(get(gateway, "spec", "gatewayClassName"));
  const gatewayClass = one(rendered, "GatewayClass", className, `Gateway ${gatewayNamespace}/${String(parent.name)}`);
  if (get(gatewayClass, "spec", "controllerName") !== ENVOY_GATEWAY_CONTROLLER) {
    throw new Error(`GatewayClass ${className}: spec.controllerName is ${String(get(gatewayClass, "spec", "controllerName"))}, not Envoy Gateway's ${ENVOY_GATEWAY_CONTROLLER}`);
  }
  const listener = ((get(gateway, "spec", "listeners") ?? []) as Json[])[0];
  if (listener === undefined || typeof listener.hostname !== "string") {
    throw new Error(`Gateway ${gatewayNamespace}/${String(parent.name)}: its first listener has no hostname to send requests to`);
  }
  const modelsNamespace = String(get(aiRoute, "metadata", "namespace"));
  const namespaces = rendered.filter((o) => o.kind === "Namespace" && [gatewayNamespace, modelsNamespace].includes(String(get(o, "metadata", "name"))));
  if (namespaces.length !== new Set([gatewayNamespace, modelsNamespace]).size) {
    throw new Error(`the rendered objects lack the Namespace ${gatewayNamespace} or ${modelsNamespace}, whose labels admit the route to the Gateway`);
  }

  const claimHeaders = ((get(gatewaySecurity, "spec", "jwt", "providers") ?? []) as Json[]).flatMap((p) => ((p.claimToHeaders ?? []) as Json[]).map((c) => String(c.header)));
  const answerHeaders = [...new Set([...claimHeaders, ...echo])].map((h) => ({ name: seenHeader(h), value: `%REQ(${h})%` }));
  const answer = (name: string, body: string, namespace = modelsNamespace): Json => ({
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "HTTPRouteFilter",
    metadata: { name, namespace },
    spec: { directResponse: { statusCode: 200, contentType: "text/plain", body: { type: "Inline", inline: body }, header: { add: answerHeaders } } },
  });
  const filterRef = (name: string): Json => ({ type: "ExtensionRef", extensionRef: { group: "gateway.envoyproxy.io", kind: "HTTPRouteFilter", name } });
  const parentRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: parent.name, namespace: gatewayNamespace }];
  /** An AIGatewayRoute as an HTTPRoute of the same name and namespace whose rules answer directly, each naming the model its rule matches. */
  const answeringRoute = (route: Json): Json[] => {
    const namespace = String(get(route, "metadata", "namespace"));
    const aiRules = (get(route, "spec", "rules") ?? []) as Json[];
    if (aiRules.length === 0) {
      throw new Error(`AIGatewayRoute ${namespace}/${routeName}: spec.rules is empty, so no model is served`);
    }
    const answers = aiRules.map((r, i) => {
      const model = get(((get(r, "matches") ?? []) as Json[])[0], "headers");
      return answer(`${routeName}-${i}`, Array.isArray(model) && isMap(model[0]) ? String(model[0].value) : `rule ${i}`, namespace);
    });
    const rules = aiRules.map((r, i) => ({ matches: r.matches, filters: [filterRef(`${routeName}-${i}`)] }));
    return [{ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: routeName, namespace }, spec: { parentRefs, rules } }, ...answers];
  };
  const grantedRoute = granted.length > 0 ? one(granted, "AIGatewayRoute", routeName, "the model template's route") : undefined;
  const grantedObjects =
    grantedRoute === undefined
      ? []
      : [
          one(granted, "Namespace", String(get(grantedRoute, "metadata", "namespace")), "the model template's namespace"),
          ...answeringRoute(grantedRoute),
          one(granted, "SecurityPolicy", routeName, "the model template's access rules"),
        ];
  const gatewayOnlyPath = `/${modelsNamespace}/${GATEWAY_ONLY_ROUTE}`;

  return {
    input: [
      ...namespaces,
      gatewayClass,
      // The policies target the Gateway by name, so only its listener changes: plain HTTP on the same hostname and route admission.
      { ...gateway, spec: { ...(gateway.spec as Json), listeners: [{ name: "http", protocol: "HTTP", port: HTTP_LISTENER_PORT, hostname: listener.hostname, allowedRoutes: listener.allowedRoutes }] } },
      ...answeringRoute(aiRoute),
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: GATEWAY_ONLY_ROUTE, namespace: modelsNamespace },
        spec: { parentRefs, rules: [{ matches: [{ path: { type: "PathPrefix", value: gatewayOnlyPath } }], filters: [filterRef(GATEWAY_ONLY_ROUTE)] }] },
      },
      answer(GATEWAY_ONLY_ROUTE, GATEWAY_ONLY_ROUTE),
      gatewaySecurity,
      routeSecurity,
      clientTraffic,
      ...grantedObjects,
    ],
    gateway: `${gatewayNamespace}/${String(parent.name)}`,
    hostname: listener.hostname,
    gatewayOnlyPath,
    claimHeaders: [...new Set(claimHeaders)],
  };
}

const JWT_AUTHN = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication";

/**
 * A copy of an xDS config dump whose JWT providers read their issuer's key set inline (local_jwks)
 * instead of fetching it (remote_jwks); nothing else changes. `jwks` maps each issuer to a JWKS
 * document. Returns the copy and the providers changed. Throws when there is no JWT provider, one
 * has no remote key set, or its issuer has no JWKS in the map.
 */
export function withLocalJwks(dump: unknown, jwks: Readonly<Record<string, string>>): { dump: unknown; providers: string[] } {
  const providers: string[] = [];
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.map(walk);
    }
    if (!isMap(value)) {
      return value;
    }
    const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    if (out["@type"] === JWT_AUTHN && isMap(out.providers)) {
      out.providers = Object.fromEntries(
        Object.entries(out.providers).map(([name, p]) => {
          if (!isMap(p) || !isMap(p.remoteJwks)) {
            throw new Error(`JWT provider ${name}: no remoteJwks to replace (${isMap(p) && "localJwks" in p ? "it already has localJwks" : "no key source"})`);
          }
          const keys = jwks[String(p.issuer)];
          if (keys === undefined) {
            throw new Error(`JWT provider ${name}: no JWKS given for its issuer ${String(p.issuer)}`);
          }
          providers.push(name);
          const local: Json = { ...p, localJwks: { inlineString: keys } };
          delete local.remoteJwks;
          return [name, local];
        }),
      );
    }
    return out;
  };
  const copy = walk(dump);
  if (providers.length === 0) {
    throw new Error("the translated configuration has no JWT provider (no jwt_authn filter with providers)");
  }
  return { dump: copy, providers };
}

const listenersOf = (bootstrap: Json): Json[] => ((get(bootstrap, "staticResources", "listeners") ?? []) as Json[]).filter(isMap);

function portOf(listener: Json): number {
  const port = get(listener, "address", "socketAddress", "portValue");
  if (typeof port !== "number") {
    throw new Error(`listener ${String(listener.name)}: no socket address with a port`);
  }
  return port;
}

/** The ports a static bootstrap's listeners listen on. */
export function listenerPorts(bootstrap: Json): number[] {
  return listenersOf(bootstrap).map(portOf);
}

/** A copy of a static bootstrap with each listener moved from its port to `ports.get(port)`; throws for a port the map lacks. */
export function withListenerPorts(bootstrap: Json, ports: ReadonlyMap<number, number>): Json {
  const listeners = listenersOf(bootstrap).map((l) => {
    const to = ports.get(portOf(l));
    if (to === undefined) {
      throw new Error(`listener ${String(l.name)}: no port given for its port ${portOf(l)}`);
    }
    return { ...l, address: { socketAddress: { ...(get(l, "address", "socketAddress") as Json), portValue: to } } };
  });
  return { ...bootstrap, staticResources: { ...(bootstrap.staticResources as Json), listeners } };
}
