import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_OPENNESS, openToInternet } from "./lib/cidr";
import { containersOf, isKind, Json, k8sObjects, K8sObject, objectName, podSpecs, volumesOf } from "./lib/kubernetes";
import { allPlatformFacts } from "./lib/facts";
import { literalSecretEnv, secretInArgs, secretsInValue, tokenIn } from "./lib/secrets";
import { normaliseHostPath, underRoots } from "./storage";

export const imdsv2Required: ResourceValidationPolicy = {
  name: "imdsv2-required",
  description: "Nodes require IMDSv2 session tokens, so pods cannot read node credentials through a simple GET.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== "aws:ec2/launchTemplate:LaunchTemplate" && args.type !== "aws:ec2/instance:Instance") {
      return;
    }
    if (args.props?.metadataOptions?.httpTokens !== "required") {
      report(`${args.name} allows IMDSv1. Set metadataOptions.httpTokens: "required" (and httpPutResponseHopLimit: 2 for pods that need IMDS).`);
    }
  },
};

/** The fix in the stack's own terms: platform clusters take their endpoint settings from here. */
const STACK_API_ACCESS_HINT =
  "In the stack config, list your networks in cluster.apiAccess.publicCidrs, or set it to [] for a private endpoint and name who reaches it in cluster.apiAccess.privateSources.";

export const clusterEndpointRestricted: ResourceValidationPolicy = {
  name: "cluster-endpoint-restricted",
  description: "The Kubernetes API endpoint is not open to the internet, judged on the addresses its CIDRs cover.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const p = args.props ?? {};
    if (args.type === "aws:eks/cluster:Cluster" || args.type === "eks:index:Cluster") {
      const aws = args.type === "aws:eks/cluster:Cluster";
      const settings = aws ? (p.vpcConfig ?? {}) : p;
      const cidrs: string[] = settings.publicAccessCidrs ?? ["0.0.0.0/0"];
      const open = settings.endpointPublicAccess !== false ? openToInternet(cidrs) : undefined;
      if (open) {
        report(`EKS cluster ${args.name} exposes its API endpoint to the internet: ${open}. ${aws ? "Set vpcConfig.publicAccessCidrs to your networks or endpointPublicAccess: false." : STACK_API_ACCESS_HINT}`);
      }
    } else if (args.type === "gcp:container/cluster:Cluster") {
      const privateEndpoint = p.privateClusterConfig?.enablePrivateEndpoint === true;
      const blocks = ((p.masterAuthorizedNetworksConfig?.cidrBlocks ?? []) as Json[]).map((b) => String(b?.cidrBlock));
      const open = p.masterAuthorizedNetworksConfig === undefined ? "no master authorized networks" : openToInternet(blocks);
      if (!privateEndpoint && open) {
        report(`GKE cluster ${args.name} accepts API traffic from the internet (${open}). ${STACK_API_ACCESS_HINT}`);
      }
    }
  },
};

/** Source CIDRs a firewall or security-group rule admits from, or undefined when it is not an ingress rule. */
function ingressSources(type: string, p: Json): string[][] {
  switch (type) {
    case "aws:ec2/securityGroup:SecurityGroup":
      return ((p?.ingress ?? []) as Json[]).map((i) => [...((i?.cidrBlocks ?? []) as string[]), ...((i?.ipv6CidrBlocks ?? []) as string[])]);
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      return p?.type === "ingress" ? [[...((p?.cidrBlocks ?? []) as string[]), ...((p?.ipv6CidrBlocks ?? []) as string[])]] : [];
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return [[p?.cidrIpv4, p?.cidrIpv6].filter((c) => c !== undefined)];
    case "gcp:compute/firewall:Firewall":
      return (p?.direction ?? "INGRESS") === "INGRESS" && p?.allows !== undefined && p?.disabled !== true ? [(p?.sourceRanges ?? []) as string[]] : [];
    default:
      return [];
  }
}

export interface IngressConfig {
  minPrefixV4: number;
  minPrefixV6: number;
}

export const noOpenIngress: StackValidationPolicy = {
  name: "no-open-ingress",
  description: "Security groups and firewalls admit no traffic from the internet, judged on the addresses their CIDRs cover together (0.0.0.0/1 + 128.0.0.0/1 is the internet).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minPrefixV4: { type: "integer", minimum: 0, maximum: 32, default: DEFAULT_OPENNESS.minPrefixV4 },
      minPrefixV6: { type: "integer", minimum: 0, maximum: 128, default: DEFAULT_OPENNESS.minPrefixV6 },
    },
  },
  validateStack: (args, report) => {
    const limits = args.getConfig<IngressConfig>();
    // Rules of one security group are judged together: split rules add up.
    const byGroup = new Map<string, { rs: PolicyResource[]; cidrs: string[] }>();
    for (const r of args.resources) {
      for (const cidrs of ingressSources(r.type, r.props)) {
        const key = r.type.includes("securityGroup") && r.props?.securityGroupId !== undefined ? `sg:${r.props.securityGroupId}` : r.urn;
        const entry = byGroup.get(key) ?? { rs: [], cidrs: [] };
        entry.rs.push(r);
        entry.cidrs.push(...cidrs.filter((c) => c !== undefined).map(String));
        byGroup.set(key, entry);
      }
    }
    for (const { rs, cidrs } of byGroup.values()) {
      const open = cidrs.length > 0 ? openToInternet(cidrs, limits) : undefined;
      if (open) {
        report(`${rs.map((r) => `${r.type.split(":").pop()} ${r.name}`).join(", ")} admit${rs.length > 1 ? "" : "s"} traffic from the internet: ${open}. List only your own networks; reach models through the platform gateway.`, rs[0].urn);
      }
    }
  },
};

export const eksSecretsEncryption: ResourceValidationPolicy = {
  name: "eks-secrets-encryption",
  description: "EKS clusters encrypt Kubernetes secrets with a KMS key.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === "aws:eks/cluster:Cluster" && !((args.props?.encryptionConfig?.resources ?? []) as string[]).includes("secrets")) {
      report(`EKS cluster ${args.name} does not encrypt secrets with KMS. Set encryptionConfig { provider.keyArn, resources: ["secrets"] }.`);
    }
    if (args.type === "eks:index:Cluster" && !args.props?.encryptionConfigKeyArn) {
      report(`EKS cluster ${args.name} does not encrypt secrets with KMS. Set encryptionConfigKeyArn.`);
    }
  },
};

export const hfTokenSecret: ResourceValidationPolicy = {
  name: "hf-token-secret",
  description: "Hugging Face and other API tokens reach pods only from Secrets: never as env literals, container arguments, ConfigMap data or binaryData, or Helm values.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const fix = "Keep it in a Secret (fed by a Pulumi secret, e.g. hfToken in the stack config) and use valueFrom.secretKeyRef.";
    if (args.type === "kubernetes:helm.sh/v3:Release" || args.type === "kubernetes:helm.sh/v4:Chart") {
      for (const at of secretsInValue(args.props?.values ?? {})) {
        report(`Helm release ${args.name} value ${at} holds a credential in plain text; Helm stores values readable to anyone who can read the release. Point the chart at an existing Secret instead.`);
      }
    }
    for (const o of k8sObjects(args.type, args.props)) {
      const name = objectName(o.type, o.props, args.name);
      for (const view of podSpecs(o.type, o.props)) {
        for (const { name: c, container } of containersOf(view.spec)) {
          for (const env of (container?.env ?? []) as Json[]) {
            const why = literalSecretEnv(env) ?? (TOKEN_ENV.test(String(env?.name)) && env?.value !== undefined ? "holds a Hugging Face token as a literal" : undefined);
            if (why) {
              report(`${name} ${view.path} container ${c}: env ${env.name} ${why}. ${fix}`);
            }
          }
          const why = secretInArgs([...((container?.command ?? []) as unknown[]), ...((container?.args ?? []) as unknown[])]);
          if (why) {
            report(`${name} ${view.path} container ${c}: ${why} on its command line, visible to anyone who can read the pod. Pass it through an env var from a Secret ($(VAR) in args). ${fix}`);
          }
        }
      }
      if (isKind(o.type, "core", "ConfigMap")) {
        for (const at of secretsInValue(o.props?.data ?? {})) {
          report(`${name} data ${at} holds a credential; ConfigMaps are not secret. Move it to a Secret.`);
        }
        for (const [key, value] of Object.entries((o.props?.binaryData ?? {}) as Record<string, unknown>)) {
          const kind = tokenIn(Buffer.from(String(value), "base64").toString("utf8"));
          if (kind) {
            report(`${name} binaryData ${key} holds a ${kind}; ConfigMaps are not secret. Move it to a Secret.`);
          }
        }
      }
    }
  },
};

const TOKEN_ENV = /^(HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_HUB_TOKEN|HUGGINGFACE_TOKEN)$/;

const GKE_EXTERNAL_CLASSES = /^gke-l7-(global-external-managed|regional-external-managed|gxlb)(-mc)?$/;
const INTERNAL_ANNOTATIONS: [string, RegExp][] = [
  ["service.beta.kubernetes.io/aws-load-balancer-internal", /^(true|0\.0\.0\.0\/0)$/],
  ["service.beta.kubernetes.io/aws-load-balancer-scheme", /^internal$/],
  ["networking.gke.io/load-balancer-type", /^Internal$/i],
  ["cloud.google.com/load-balancer-type", /^Internal$/i],
  ["service.beta.kubernetes.io/azure-load-balancer-internal", /^true$/],
];

function internalByAnnotations(annotations: Record<string, string>): boolean {
  return INTERNAL_ANNOTATIONS.some(([k, re]) => re.test(String(annotations[k] ?? "")));
}

/** Whether annotations or labels ask for an internet-facing load balancer. */
function internetByAnnotations(labels: Record<string, string>, annotations: Record<string, string>): boolean {
  return (
    labels["llm-platform.io/exposure"] === "internet" ||
    annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] === "internet-facing" ||
    annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] === "false"
  );
}

/** Whether an EnvoyProxy (gateway.envoyproxy.io) puts its gateways' Service on the internet. */
function envoyProxyInternet(props: Json): boolean {
  const svc = props?.spec?.provider?.kubernetes?.envoyService ?? {};
  const annotations = svc.annotations ?? {};
  const sourceOpen = Array.isArray(svc.loadBalancerSourceRanges) && openToInternet(svc.loadBalancerSourceRanges) !== undefined;
  return internetByAnnotations({}, annotations) || sourceOpen || (svc.type === "LoadBalancer" && svc.annotations !== undefined && !internalByAnnotations(annotations) && Object.keys(annotations).some((k) => k.includes("load-balancer")));
}

/** Whether a Gateway is reachable from the internet: labels, annotations, GKE external classes, EnvoyProxy parameters. */
export function internetFacing(props: Json, envoyProxies: ReadonlyMap<string, Json> = new Map(), classes: ReadonlyMap<string, Json> = new Map()): boolean {
  const labels = props?.metadata?.labels ?? {};
  const annotations = { ...(props?.metadata?.annotations ?? {}), ...(props?.spec?.infrastructure?.annotations ?? {}) };
  const className = String(props?.spec?.gatewayClassName ?? "");
  const cls = classes.get(className);
  const refs = [props?.spec?.infrastructure?.parametersRef, cls?.spec?.parametersRef].filter((r) => r?.kind === "EnvoyProxy");
  return (
    internetByAnnotations(labels, annotations) ||
    GKE_EXTERNAL_CLASSES.test(className) ||
    /external|public|internet/.test(className) ||
    refs.some((r) => {
      const proxy = envoyProxies.get(`${r.namespace ?? props?.metadata?.namespace ?? ""}/${r.name}`) ?? envoyProxies.get(String(r.name));
      return proxy !== undefined && envoyProxyInternet(proxy);
    })
  );
}

/** A stack's Kubernetes objects, with the EnvoyProxies and GatewayClasses that decide a Gateway's exposure. */
function gatewayObjects(resources: readonly PolicyResource[]): { objects: (K8sObject & { r: PolicyResource })[]; envoyProxies: Map<string, Json>; classes: Map<string, Json> } {
  const objects: (K8sObject & { r: PolicyResource })[] = resources.flatMap((r) => k8sObjects(r.type, r.props).map((o) => ({ ...o, r })));
  const envoyProxies = new Map<string, Json>();
  const classes = new Map<string, Json>();
  for (const o of objects) {
    if (isKind(o.type, "gateway.envoyproxy.io", "EnvoyProxy")) {
      envoyProxies.set(`${o.props?.metadata?.namespace ?? ""}/${o.props?.metadata?.name}`, o.props);
      envoyProxies.set(String(o.props?.metadata?.name), o.props);
    } else if (isKind(o.type, "gateway.networking.k8s.io", "GatewayClass")) {
      classes.set(String(o.props?.metadata?.name ?? o.r.name), o.props);
    }
  }
  return { objects, envoyProxies, classes };
}

export const gatewayTls: StackValidationPolicy = {
  name: "internet-gateway-tls",
  description: "Internet-facing gateways (any Gateway API version, GKE and Envoy classes, EnvoyProxy parameters) and LoadBalancer Services terminate TLS on every listener.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const { objects, envoyProxies, classes } = gatewayObjects(args.resources);
    for (const o of objects) {
      if (isKind(o.type, "gateway.networking.k8s.io", "Gateway") && internetFacing(o.props, envoyProxies, classes)) {
        for (const l of (o.props?.spec?.listeners ?? []) as Json[]) {
          if (l?.protocol !== "HTTPS" && l?.protocol !== "TLS") {
            report(`${objectName(o.type, o.props, o.r.name)} is internet-facing but listener ${l?.name} speaks ${l?.protocol}. Give the platform gateway a hostname in the stack config (gateway.hostname) so it gets an HTTPS listener with a certificate, or make it internal.`, o.r.urn);
          }
        }
      }
      if (isKind(o.type, "core", "Service") && o.props?.spec?.type === "LoadBalancer") {
        const annotations = o.props?.metadata?.annotations ?? {};
        const ranges = o.props?.spec?.loadBalancerSourceRanges;
        const restricted = Array.isArray(ranges) && ranges.length > 0 && openToInternet(ranges) === undefined;
        const tls = annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] !== undefined;
        if (!internalByAnnotations(annotations) && !restricted && !tls) {
          report(`${objectName(o.type, o.props, o.r.name)} is a LoadBalancer Service open to the internet without TLS (no internal annotation, no restricted loadBalancerSourceRanges, no certificate). Make it ClusterIP and route through the platform gateway, or mark it internal.`, o.r.urn);
        }
      }
    }
  },
};

/** Authentication sections of an Envoy Gateway SecurityPolicy (gateway v1.8.1 api/v1alpha1/securitypolicy_types.go). */
const AUTHENTICATION_FIELDS = ["apiKeyAuth", "jwt", "oidc", "basicAuth", "extAuth"];

/** Whether a SecurityPolicy lets only authenticated callers through, or nobody at all. */
function closes(policy: Json): boolean {
  const spec = policy?.spec ?? {};
  return AUTHENTICATION_FIELDS.some((f) => spec[f] !== undefined) || spec.authorization?.defaultAction === "Deny";
}

function targets(policy: Json, kind: string, name: string, namespace: string): boolean {
  const refs = [...((policy?.spec?.targetRefs ?? []) as Json[]), ...(policy?.spec?.targetRef ? [policy.spec.targetRef] : [])];
  return (policy?.metadata?.namespace ?? "") === namespace && refs.some((r) => r?.kind === kind && r?.name === name);
}

export const gatewayAuthenticated: StackValidationPolicy = {
  name: "internet-gateway-authenticated",
  description:
    "Internet-facing gateways authenticate their callers: an Envoy Gateway SecurityPolicy on the Gateway that authenticates or denies, with every route-level SecurityPolicy authenticating too (the platform renders these from `tenants`), unless the platform config opens the gateway explicitly with a reason (gateway.authentication mode none).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const { objects, envoyProxies, classes } = gatewayObjects(args.resources);
    const policies = objects.filter((o) => isKind(o.type, "gateway.envoyproxy.io", "SecurityPolicy"));
    // The explicit opt-out is a platform fact: the config's gateway.authentication with its reason.
    const openedOnPurpose = allPlatformFacts(args.resources).some((f) => f.gateway?.authentication === "none" && (f.gateway.openReason ?? "").length > 0);
    const internet = objects.filter((o) => isKind(o.type, "gateway.networking.k8s.io", "Gateway") && internetFacing(o.props, envoyProxies, classes));
    if (internet.length === 0 || openedOnPurpose) {
      return;
    }
    for (const o of internet) {
      const name = String(o.props?.metadata?.name ?? o.r.name);
      const namespace = String(o.props?.metadata?.namespace ?? "");
      if (!policies.some((p) => targets(p.props, "Gateway", name, namespace) && closes(p.props))) {
        report(
          `${objectName(o.type, o.props, o.r.name)} is internet-facing and lets anyone call it. List tenants in the stack config (tenants: API keys or JWT, their models and quotas), or open it on purpose with gateway.authentication: {mode: none, reason: "<why>"}.`,
          o.r.urn,
        );
      }
    }
    // A route's own SecurityPolicy replaces the Gateway's: one that neither authenticates nor denies opens its route.
    for (const p of policies) {
      const routeTarget = ((p.props?.spec?.targetRefs ?? []) as Json[]).some((r) => r?.kind === "HTTPRoute" || r?.kind === "GRPCRoute");
      if (routeTarget && !closes(p.props)) {
        report(`${objectName(p.type, p.props, p.r.name)} replaces the Gateway's authentication on its routes but authenticates nobody; give it apiKeyAuth, jwt, oidc, basicAuth or extAuth, or authorization.defaultAction: Deny.`, p.r.urn);
      }
    }
  },
};

export interface HostAccessConfig {
  allowedHostPaths: string[];
  allowedCapabilities: string[];
  exemptNamespaces: string[];
}

export const noHostAccess: ResourceValidationPolicy = {
  name: "no-host-access",
  description: "No pod of any workload kind runs privileged, shares the host's network, PID or IPC namespace, adds capabilities, or mounts host paths outside the model-cache roots (compared after normalising `..`).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedHostPaths: { type: "array", items: { type: "string" }, default: ["/mnt/k8s-disks/0/llm-platform", "/mnt/stateful_partition/kube-ephemeral-ssd/llm-platform"] },
      allowedCapabilities: { type: "array", items: { type: "string" }, default: [] },
      exemptNamespaces: { type: "array", items: { type: "string" }, default: [] },
    },
  },
  validateResource: (args, report) => {
    const config = args.getConfig<HostAccessConfig>();
    for (const o of k8sObjects(args.type, args.props)) {
      if (config.exemptNamespaces.includes(String(o.props?.metadata?.namespace ?? ""))) {
        continue;
      }
      for (const view of podSpecs(o.type, o.props)) {
        const where = `${objectName(o.type, o.props, args.name)} ${view.path}`;
        for (const key of ["hostNetwork", "hostPID", "hostIPC"] as const) {
          if (view.spec?.[key] === true) {
            report(`${where}: ${key}: true shares the node's ${key.slice(4)} namespace with the pod. Remove it; model pods need none of the host's namespaces.`);
          }
        }
        for (const v of volumesOf(view.spec)) {
          if (v?.hostPath !== undefined && !underRoots(String(v.hostPath.path), config.allowedHostPaths)) {
            report(`${where}: hostPath volume ${v.name} (${v.hostPath.path}, resolved ${normaliseHostPath(v.hostPath.path)}) reaches the node outside ${config.allowedHostPaths.join(", ")}. Use an emptyDir, a Secret/ConfigMap, or the platform's modelCache.`);
          }
        }
        for (const { name, container } of containersOf(view.spec)) {
          const sc = container?.securityContext ?? {};
          if (sc.privileged === true) {
            report(`${where} container ${name}: privileged: true gives it every device and capability of the node. Remove it (GPUs come through nvidia.com/gpu limits).`);
          }
          const added = ((sc.capabilities?.add ?? []) as string[]).map((c) => String(c).toUpperCase().replace(/^CAP_/, "")).filter((c) => !config.allowedCapabilities.includes(c));
          if (added.length > 0) {
            report(`${where} container ${name}: adds capabilities ${added.join(", ")}. Drop them (capabilities.drop: [ALL]) or list them in no-host-access.allowedCapabilities.`);
          }
          if (sc.procMount === "Unmasked") {
            report(`${where} container ${name}: procMount: Unmasked exposes the host's /proc. Remove it.`);
          }
        }
      }
    }
  },
};

export const securityPolicies = [imdsv2Required, clusterEndpointRestricted, noOpenIngress, eksSecretsEncryption, hfTokenSecret, gatewayTls, gatewayAuthenticated, noHostAccess];
