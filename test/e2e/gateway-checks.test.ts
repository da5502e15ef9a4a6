import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { load } from "js-yaml";
import type { KubernetesObject } from "../../automation/plan/render";
import { forOfflineTranslation, objectProblems, ownedByEnvoyGateway, settled, StoredObject, translatedObjects, xdsSummary } from "./harness/envoy-gateway-checks";
import { localAiGatewayArgs, localEnvoyGatewayConfig, renderedEnvoyGatewayConfig } from "./harness/envoy-gateway-config";
import { forward, parseEndpoint } from "./harness/envoy-gateway-forward";
import { staticBootstrap } from "./harness/envoy-gateway-static";

// The pure parts of the gateway tier (test/e2e/gateway-controllers.e2e.ts): how the controllers
// are configured out of cluster, and how their status is read, on hand-made objects.

const ports = { extension: 41063, extensionSocket: "/tmp/x/extension.sock", admin: 41000, webhook: 41443 };

const configMap = (text: string): KubernetesObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "envoy-gateway-config", namespace: "envoy-gateway-system" }, data: { "envoy-gateway.yaml": text } });

const RENDERED = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
extensionManager:
  backendResources:
  - group: inference.networking.k8s.io
    kind: InferencePool
    version: v1
  hooks:
    xdsTranslator:
      post: [Translation, Cluster, Route]
  service:
    fqdn:
      hostname: ai-gateway-controller.envoy-ai-gateway-system.svc.cluster.local
      port: 1063
gateway:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
rateLimit:
  backend:
    type: Redis
    redis:
      url: redis.envoy-gateway-system.svc.cluster.local:6379
provider:
  type: Kubernetes
  kubernetes:
    shutdownManager:
      image: docker.io/envoyproxy/gateway:v1.8.1
`;

describe("gateway tier: the controllers' local configuration", () => {
  it("Envoy Gateway: the extension manager reaches the AI Gateway through its socket; hooks, backend resources, the rate-limit backend and provider settings stay as rendered", () => {
    const local = load(localEnvoyGatewayConfig(renderedEnvoyGatewayConfig([configMap(RENDERED)]), ports)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed YAML document read field by field
    assert.deepStrictEqual(local.extensionManager.service, { unix: { path: "/tmp/x/extension.sock" } });
    assert.deepStrictEqual(local.extensionManager.hooks, { xdsTranslator: { post: ["Translation", "Cluster", "Route"] } });
    assert.deepStrictEqual(local.extensionManager.backendResources, [{ group: "inference.networking.k8s.io", kind: "InferencePool", version: "v1" }]);
    assert.deepStrictEqual(local.rateLimit, { backend: { type: "Redis", redis: { url: "redis.envoy-gateway-system.svc.cluster.local:6379" } }, timeout: "1s" });
    assert.deepStrictEqual(local.provider, {
      type: "Kubernetes",
      kubernetes: { shutdownManager: { image: "docker.io/envoyproxy/gateway:v1.8.1" }, leaderElection: { disable: true }, topologyInjector: { disable: true } },
    });
    assert.deepStrictEqual(local.admin, { address: { host: "127.0.0.1", port: 41000 } });
    assert.deepStrictEqual(local.telemetry, { metrics: { prometheus: { disable: true } } });
  });

  it("Envoy Gateway: a configuration without the extension manager, without the ConfigMap, or not Kubernetes is refused with the reason", () => {
    const withoutManager = RENDERED.replace(/extensionManager:[\s\S]*?gateway:/, "gateway:");
    assert.throws(() => localEnvoyGatewayConfig(renderedEnvoyGatewayConfig([configMap(withoutManager)]), ports), /extensionManager\.service is not set, so the AI Gateway controller is not wired in/);
    assert.throws(() => renderedEnvoyGatewayConfig([]), /gateway-helm renders 0 ConfigMap envoy-gateway-config, expected 1/);
    assert.throws(() => renderedEnvoyGatewayConfig([configMap("kind: Other\n")]), /is not an EnvoyGateway configuration/);
    assert.throws(() => localEnvoyGatewayConfig(renderedEnvoyGatewayConfig([configMap(RENDERED.replace("type: Kubernetes", "type: Custom"))]), ports), /provider\.type is Custom/);
  });

  it("AI Gateway: the rendered flags are kept, the certificate, ports and leader election are the tier's", () => {
    const deployment: KubernetesObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "ai-gateway-controller" },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "ai-gateway-controller",
                args: ["-logLevel=info", "--envoyGatewayNamespace=envoy-gateway-system", "--tlsCertDir=/certs", "--tlsCertName=tls.crt", "--webhookPort=9443", "--enableLeaderElection=true", "--watchNamespaces="],
              },
            ],
          },
        },
      },
    };
    assert.deepStrictEqual(localAiGatewayArgs([deployment], ports, "/tmp/x/certs"), [
      "-logLevel=info",
      "--envoyGatewayNamespace=envoy-gateway-system",
      "--watchNamespaces=",
      "--port=127.0.0.1:41063",
      "--webhookPort=41443",
      "--tlsCertDir=/tmp/x/certs",
      "--tlsCertName=tls.crt",
      "--tlsKeyName=tls.key",
      "--enableLeaderElection=false",
    ]);
    assert.throws(() => localAiGatewayArgs([], ports, "/c"), /ai-gateway-helm renders no Deployment ai-gateway-controller/);
  });
});

const condition = (type: string, status: string, reason = type, message = "", observedGeneration = 1) => ({ type, status, reason, message, observedGeneration });
const EG = "gateway.envoyproxy.io/gatewayclass-controller";
const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), generation: 1 });

const gatewayClass = (name: string, controllerName: string): StoredObject => ({
  kind: "GatewayClass",
  object: { metadata: meta(name), spec: { controllerName }, status: { conditions: [condition("Accepted", "True")] } },
});
const gateway = (name: string, className: string, conditions: object[], listeners: object[] = []): StoredObject => ({
  kind: "Gateway",
  object: { metadata: meta(name, "llm-gateway"), spec: { gatewayClassName: className }, status: { conditions, listeners } },
});
const route = (name: string, parent: string, parents: object[]): StoredObject => ({
  kind: "HTTPRoute",
  object: { metadata: meta(name, "models"), spec: { parentRefs: [{ name: parent, namespace: "llm-gateway" }] }, status: { parents } },
});
const parentStatus = (conditions: object[], controllerName = EG) => ({ parentRef: { name: "inference-gateway", namespace: "llm-gateway" }, controllerName, conditions });

describe("gateway tier: reading the controllers' status", () => {
  it("an accepted Gateway without an address (no load balancer here) has no problem; a listener whose certificate is missing does", () => {
    const ok = gateway("inference-gateway", "llm-platform-envoy", [condition("Accepted", "True"), condition("Programmed", "False", "AddressNotAssigned")]);
    assert.deepStrictEqual(objectProblems(ok), []);
    const badListener = gateway("inference-gateway", "llm-platform-envoy", [condition("Accepted", "True")], [
      { name: "https", conditions: [condition("Accepted", "True"), condition("ResolvedRefs", "False", "InvalidCertificateRef", "secret llm-gateway/inference-gateway-tls does not exist")] },
    ]);
    assert.deepStrictEqual(objectProblems(badListener), ["Gateway llm-gateway/inference-gateway listener https: ResolvedRefs False (InvalidCertificateRef): secret llm-gateway/inference-gateway-tls does not exist"]);
    const notProgrammed = gateway("inference-gateway", "llm-platform-envoy", [condition("Accepted", "True"), condition("Programmed", "False", "Invalid", "bad proxy config")]);
    assert.deepStrictEqual(objectProblems(notProgrammed), ["Gateway llm-gateway/inference-gateway: Programmed False (Invalid): bad proxy config"]);
  });

  it("a route needs Accepted and ResolvedRefs from Envoy Gateway on each parent; another controller's status does not count", () => {
    const ok = route("m", "inference-gateway", [parentStatus([condition("Accepted", "True"), condition("ResolvedRefs", "True")])]);
    assert.deepStrictEqual(objectProblems(ok), []);
    assert.ok(settled(ok));
    const missingBackend = route("m", "inference-gateway", [parentStatus([condition("Accepted", "True"), condition("ResolvedRefs", "False", "BackendNotFound", "Service models/x not found")])]);
    assert.deepStrictEqual(objectProblems(missingBackend), ["HTTPRoute models/m (parent Gateway llm-gateway/inference-gateway): ResolvedRefs False (BackendNotFound): Service models/x not found"]);
    const onlyOther = route("m", "inference-gateway", [parentStatus([condition("Accepted", "True"), condition("ResolvedRefs", "True")], "networking.gke.io/gateway")]);
    assert.deepStrictEqual(objectProblems(onlyOther), [`HTTPRoute models/m: no status from ${EG}: nothing accepted it (does what it references exist?)`]);
    assert.ok(!settled(onlyOther));
  });

  it("the API server's default Pending status is no verdict: not settled, and a problem if it stays", () => {
    const pending = gatewayClass("llm-platform-envoy", EG);
    (pending.object.status as { conditions: object[] }).conditions = [condition("Accepted", "Unknown", "Pending", "Waiting for controller")];
    assert.ok(!settled(pending));
    assert.deepStrictEqual(objectProblems(pending), ["GatewayClass llm-platform-envoy: Accepted Unknown (Pending): Waiting for controller"]);
  });

  it("status for an older generation is not settled; a conflicted or not-accepted object is a problem", () => {
    const stale = { kind: "HTTPRoute", object: { ...route("m", "g", []).object, metadata: { ...meta("m", "models"), generation: 2 }, status: { parents: [parentStatus([condition("Accepted", "True"), condition("ResolvedRefs", "True")])] } } } as StoredObject;
    assert.ok(!settled(stale));
    const policy: StoredObject = {
      kind: "SecurityPolicy",
      object: {
        metadata: meta("keys", "llm-gateway"),
        status: { ancestors: [{ ancestorRef: { kind: "Gateway", name: "inference-gateway", namespace: "llm-gateway" }, controllerName: EG, conditions: [condition("Accepted", "False", "Invalid", "secret llm-gateway/keys not found")] }] },
      },
    };
    assert.deepStrictEqual(objectProblems(policy), ["SecurityPolicy llm-gateway/keys (ancestor Gateway llm-gateway/inference-gateway): Accepted False (Invalid): secret llm-gateway/keys not found"]);
    const aiRoute: StoredObject = { kind: "AIGatewayRoute", object: { metadata: meta("r", "models"), status: { conditions: [condition("NotAccepted", "True", "NotAccepted", "AIServiceBackend models/b not found")] } } };
    assert.ok(settled(aiRoute), "a NotAccepted verdict is a verdict");
    assert.deepStrictEqual(objectProblems(aiRoute), ["AIGatewayRoute models/r: NotAccepted True (NotAccepted): AIServiceBackend models/b not found"]);
  });

  it("the AI Gateway's failed reconcile, NotAccepted False as v1.0.0 writes it, is a problem", () => {
    // internal/controller/controller.go newConditions: one condition, Accepted True or NotAccepted False (ReconciliationFailed).
    const failed: StoredObject = {
      kind: "AIGatewayRoute",
      object: { metadata: meta("llm-tenants", "chat-team"), status: { conditions: [condition("NotAccepted", "False", "ReconciliationFailed", "failed to sync gw pods: gateway llm-gateway/no-such-gateway not found")] } },
    };
    assert.ok(settled(failed), "a NotAccepted verdict is a verdict");
    assert.deepStrictEqual(objectProblems(failed), ["AIGatewayRoute chat-team/llm-tenants: NotAccepted False (ReconciliationFailed): failed to sync gw pods: gateway llm-gateway/no-such-gateway not found"]);
    const accepted: StoredObject = { kind: "AIGatewayRoute", object: { metadata: meta("llm-tenants", "chat-team"), status: { conditions: [condition("Accepted", "True", "ReconciliationSucceeded", "AI Gateway Route reconciled successfully")] } } };
    assert.deepStrictEqual(objectProblems(accepted), []);
  });

  it("a route policy merged into the Gateway's: Merged on the listener's entry, Accepted on the route parent's; a failed merge is a problem", () => {
    const gatewayAncestor = { kind: "Gateway", name: "inference-gateway", namespace: "llm-gateway" };
    const listener = { ...gatewayAncestor, sectionName: "https" };
    const merged = (listenerConditions: object[]): StoredObject => ({
      kind: "SecurityPolicy",
      object: {
        metadata: meta("llm-tenants", "models"),
        status: {
          ancestors: [
            { ancestorRef: listener, controllerName: EG, conditions: listenerConditions },
            { ancestorRef: gatewayAncestor, controllerName: EG, conditions: [condition("Accepted", "True")] },
          ],
        },
      },
    });
    const ok = merged([condition("Merged", "True", "Merged", "Merged with policy llm-gateway/llm-tenants-gateway")]);
    assert.deepStrictEqual(objectProblems(ok), []);
    assert.ok(settled(ok));
    const failed = merged([condition("Accepted", "False", "Invalid", "error merging policies: x")]);
    assert.deepStrictEqual(objectProblems(failed), ["SecurityPolicy models/llm-tenants (ancestor Gateway llm-gateway/inference-gateway:https): Accepted False (Invalid): error merging policies: x"]);
    // Without Merged, the listener's entry still needs its Accepted.
    assert.deepStrictEqual(objectProblems(merged([])), ["SecurityPolicy models/llm-tenants (ancestor Gateway llm-gateway/inference-gateway:https): no Accepted condition"]);
  });

  it("GKE's classes, their Gateways and routes only on them are not Envoy Gateway's; a route to a Gateway that does not exist is", () => {
    const objects = [
      gatewayClass("llm-platform-envoy", EG),
      gatewayClass("gke-l7-rilb", "networking.gke.io/gateway"),
      gateway("inference-gateway", "llm-platform-envoy", []),
      gateway("gke", "gke-l7-rilb", []),
      route("on-envoy", "inference-gateway", []),
      route("on-gke", "gke", []),
      route("to-nothing", "no-such-gateway", []),
    ];
    const names = ownedByEnvoyGateway(objects).map((o) => `${o.kind} ${String((o.object.metadata as { name: string }).name)}`);
    assert.deepStrictEqual(names, ["GatewayClass llm-platform-envoy", "Gateway inference-gateway", "HTTPRoute on-envoy", "HTTPRoute to-nothing"]);
    assert.deepStrictEqual(objectProblems(objects[6]), [`HTTPRoute models/to-nothing: no status from ${EG}: nothing accepted it (does what it references exist?)`]);
  });
});

describe("gateway tier: reading egctl x translate's result", () => {
  // The shape egctl v1.8.1 prints for --to gateway-api,xds -o json (trimmed from a real run).
  const result = {
    gatewayClass: { metadata: { name: "eg" }, spec: { controllerName: EG }, status: { conditions: [{ type: "Accepted", status: "True", reason: "Accepted" }] } },
    gateways: [{ metadata: { name: "gw", namespace: "default" }, status: { conditions: [{ type: "Accepted", status: "True", reason: "Accepted" }] } }],
    securityPolicies: [
      {
        metadata: { name: "sp", namespace: "default" },
        status: {
          ancestors: [
            {
              ancestorRef: { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "default", name: "gw" },
              controllerName: EG,
              conditions: [{ type: "Accepted", status: "False", lastTransitionTime: null, reason: "Invalid", message: "APIKeyAuth: secret default/nosecret does not exist." }],
            },
          ],
        },
      },
    ],
    xds: {
      "default/gw": {
        configs: [
          { "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", bootstrap: {} },
          { "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", dynamicActiveClusters: [{}] },
          { "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", dynamicListeners: [{}, {}] },
          { "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump", dynamicRouteConfigs: [{}] },
        ],
      },
    },
  };

  it("the translated objects carry the offline verdict, read like the live status", () => {
    const objects = translatedObjects(result);
    assert.deepStrictEqual(objects.map((o) => o.kind), ["GatewayClass", "Gateway", "SecurityPolicy"]);
    assert.deepStrictEqual(objects.flatMap((o) => objectProblems(o)), ["SecurityPolicy default/sp (ancestor Gateway default/gw): Accepted False (Invalid): APIKeyAuth: secret default/nosecret does not exist."]);
  });

  it("offline, a Gateway is judged by its listeners only (egctl sets no Gateway conditions)", () => {
    const gw: StoredObject = { kind: "Gateway", object: { metadata: meta("gw", "default"), status: { listeners: [{ name: "https", conditions: [condition("Accepted", "True"), condition("ResolvedRefs", "True")] }] } } };
    assert.deepStrictEqual(objectProblems(gw, undefined, true), []);
    assert.deepStrictEqual(objectProblems(gw), [`Gateway default/gw: no status from ${EG}: nothing accepted it (does what it references exist?)`]);
  });

  it("a listener's namespace selector becomes All for egctl only when every attached route's namespace carries its labels", () => {
    const ns = (name: string, labels: Record<string, string>) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
    const listener = { name: "https", allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: { "llm-platform.io/gateway-access": "true" } } } } };
    const gw = { kind: "Gateway", metadata: { name: "gw", namespace: "llm-gateway" }, spec: { listeners: [listener] } };
    const r = (namespace: string) => ({ kind: "HTTPRoute", metadata: { name: "r", namespace }, spec: { parentRefs: [{ name: "gw", namespace: "llm-gateway" }] } });
    const allowed = forOfflineTranslation([ns("llm-models", { "llm-platform.io/gateway-access": "true" }), gw, r("llm-models")]);
    assert.deepStrictEqual((allowed[1].spec as { listeners: object[] }).listeners, [{ name: "https", allowedRoutes: { namespaces: { from: "All" } } }]);
    const refused = forOfflineTranslation([ns("llm-models", { "llm-platform.io/gateway-access": "true" }), ns("other", {}), gw, r("llm-models"), r("other")]);
    assert.deepStrictEqual((refused[2].spec as { listeners: object[] }).listeners, [listener], "a route from an unlabelled namespace keeps the selector, and is refused offline");
  });

  it("the xDS per Gateway is counted by section", () => {
    assert.deepStrictEqual(xdsSummary(result), { "default/gw": { Bootstrap: 0, Clusters: 1, Listeners: 2, Routes: 1 } });
    assert.deepStrictEqual(xdsSummary({}), {});
  });
});

describe("gateway tier: the forwarder between loopback and Unix sockets", () => {
  it("parses tcp and unix endpoints and refuses anything else by its text", () => {
    assert.deepStrictEqual(parseEndpoint("tcp:127.0.0.1:6443"), { tcp: { host: "127.0.0.1", port: 6443 } });
    assert.deepStrictEqual(parseEndpoint("unix:/tmp/a.sock"), { unix: "/tmp/a.sock" });
    assert.throws(() => parseEndpoint("udp:1"), /forward: "udp:1" is neither tcp:HOST:PORT nor unix:\/PATH/);
  });

  it("carries bytes both ways from a Unix socket to a TCP server", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-forward-"));
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    const port = (echo.address() as net.AddressInfo).port;
    const socket = path.join(dir, "echo.sock");
    const fwd = await forward({ unix: socket }, { tcp: { host: "127.0.0.1", port } });
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const c = net.connect(socket, () => c.end("ping"));
        let got = "";
        c.on("data", (d) => (got += String(d)));
        c.on("close", () => resolve(got));
        c.on("error", reject);
      });
      assert.strictEqual(reply, "ping");
    } finally {
      fwd.close();
      echo.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("gateway tier: the translated xDS as a static Envoy bootstrap", () => {
  const hcm = (rds: object) => ({ name: "envoy.filters.network.http_connection_manager", typedConfig: { "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", ...rds } });
  const dump = {
    configs: [
      {
        "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
        dynamicListeners: [
          {
            activeState: {
              listener: {
                "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
                name: "https",
                address: { socketAddress: { address: "0.0.0.0", portValue: 10443 } },
                filterChains: [{ filters: [hcm({ rds: { routeConfigName: "r443", configSource: { ads: {} } } })], transportSocket: { commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: "s", sdsConfig: { ads: {} } }] } } }],
              },
            },
          },
        ],
      },
      { "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump", dynamicRouteConfigs: [{ routeConfig: { "@type": "x", name: "r443", virtualHosts: [{ name: "v" }] } }] },
      { "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", dynamicActiveClusters: [{ cluster: { "@type": "x", name: "c", type: "EDS", edsClusterConfig: { edsConfig: { ads: {} } } } }] },
      { "@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump", dynamicEndpointConfigs: [{ endpointConfig: { "@type": "x", clusterName: "c", endpoints: [{ lbEndpoints: [] }] } }] },
    ],
  };
  const cert = { certificateChain: "/c/tls.crt", privateKey: "/c/tls.key" };

  it("inlines RDS routes, EDS endpoints and SDS certificates, and moves listeners to loopback", () => {
    const boot = staticBootstrap(dump, cert, 30000) as { staticResources: { listeners: Record<string, any>[]; clusters: object[] } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- read field by field below
    const [listener] = boot.staticResources.listeners;
    assert.deepStrictEqual(listener.address, { socketAddress: { address: "127.0.0.1", portValue: 40443 } });
    assert.deepStrictEqual(listener.filterChains[0].filters[0].typedConfig.routeConfig, { name: "r443", virtualHosts: [{ name: "v" }] });
    assert.strictEqual(listener.filterChains[0].filters[0].typedConfig.rds, undefined);
    assert.deepStrictEqual(listener.filterChains[0].transportSocket.commonTlsContext, { tlsCertificates: [{ certificateChain: { filename: "/c/tls.crt" }, privateKey: { filename: "/c/tls.key" } }] });
    assert.deepStrictEqual(boot.staticResources.clusters, [{ name: "c", type: "STATIC", loadAssignment: { clusterName: "c", endpoints: [{ lbEndpoints: [] }] } }]);
  });

  it("a route configuration RDS names but the translation lacks, or no listener, is an error", () => {
    const broken = JSON.parse(JSON.stringify(dump).replace('"name":"r443"', '"name":"other"')) as unknown;
    assert.throws(() => staticBootstrap(broken, cert, 0), /RDS names route configuration r443, which the translation does not have/);
    assert.throws(() => staticBootstrap({ configs: [] }, cert, 0), /the translated configuration has no RoutesConfigDump/);
  });
});
