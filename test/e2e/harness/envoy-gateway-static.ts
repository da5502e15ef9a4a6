// Envoy Gateway's translated configuration (an `egctl x translate --to xds` config dump of one
// Gateway) as a static Envoy bootstrap, for `envoy --mode validate`: what Envoy Gateway would send
// over xDS, inlined. Route configurations named by RDS go into their listeners, EDS clusters get
// the translated endpoints as a static load assignment, and TLS certificates Envoy Gateway would
// send by SDS are files; listeners move to loopback. Nothing else changes. Pure.

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function section(dump: unknown, type: string): Json {
  const configs = isMap(dump) && Array.isArray(dump.configs) ? dump.configs.filter(isMap) : [];
  const found = configs.find((c) => String(c["@type"]).endsWith(`.${type}`));
  if (found === undefined) {
    throw new Error(`the translated configuration has no ${type}`);
  }
  return found;
}

const list = (o: Json, key: string): Json[] => (Array.isArray(o[key]) ? (o[key] as unknown[]).filter(isMap) : []);
const withoutType = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([k]) => k !== "@type"));

/** The files a listener's TLS certificate is read from instead of SDS. */
export interface CertificateFiles {
  readonly certificateChain: string;
  readonly privateKey: string;
}

function inline(value: unknown, routes: ReadonlyMap<string, Json>, cert: CertificateFiles): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => inline(v, routes, cert));
  }
  if (!isMap(value)) {
    return value;
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "rds" && isMap(v) && typeof v.routeConfigName === "string") {
      const route = routes.get(v.routeConfigName);
      if (route === undefined) {
        throw new Error(`RDS names route configuration ${v.routeConfigName}, which the translation does not have`);
      }
      out.routeConfig = inline(route, routes, cert);
    } else if (k === "tlsCertificateSdsSecretConfigs") {
      out.tlsCertificates = [{ certificateChain: { filename: cert.certificateChain }, privateKey: { filename: cert.privateKey } }];
    } else {
      out[k] = inline(v, routes, cert);
    }
  }
  return out;
}

/** A static bootstrap of the Gateway's translated listeners, routes and clusters; listener ports shifted by `portOffset`. */
export function staticBootstrap(dump: unknown, cert: CertificateFiles, portOffset: number): Json {
  const routes = new Map(
    list(section(dump, "RoutesConfigDump"), "dynamicRouteConfigs")
      .map((r) => r.routeConfig)
      .filter(isMap)
      .map((r) => [String(r.name), withoutType(r)] as const),
  );
  const endpoints = new Map(
    list(section(dump, "EndpointsConfigDump"), "dynamicEndpointConfigs")
      .map((e) => e.endpointConfig)
      .filter(isMap)
      .map((e) => [String(e.clusterName), withoutType(e)] as const),
  );
  const listeners = list(section(dump, "ListenersConfigDump"), "dynamicListeners")
    .map((l) => get(l, "activeState", "listener"))
    .filter(isMap)
    .map((l) => {
      const listener = inline(withoutType(l), routes, cert) as Json;
      const address = get(listener, "address", "socketAddress") as Json | undefined;
      if (address !== undefined) {
        listener.address = { socketAddress: { ...address, address: "127.0.0.1", portValue: Number(address.portValue) + portOffset } };
      }
      return listener;
    });
  const clusters = list(section(dump, "ClustersConfigDump"), "dynamicActiveClusters")
    .map((c) => c.cluster)
    .filter(isMap)
    .map((c) => {
      const cluster = inline(withoutType(c), routes, cert) as Json;
      if (cluster.type === "EDS") {
        delete cluster.edsClusterConfig;
        cluster.type = "STATIC";
        cluster.loadAssignment = endpoints.get(String(cluster.name)) ?? { clusterName: cluster.name, endpoints: [] };
      }
      return cluster;
    });
  if (listeners.length === 0) {
    throw new Error("the translated configuration has no listener");
  }
  return { admin: { address: { socketAddress: { address: "127.0.0.1", portValue: 0 } } }, staticResources: { listeners, clusters } };
}

function get(o: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), o);
}
