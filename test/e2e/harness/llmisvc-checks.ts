// Pure checks of what the real controllers made of one LLMInferenceService: KServe's workloads
// (Deployments, LeaderWorkerSets), their pods as the scheduler placed them on the simulated
// nodes, KServe's HTTPRoute and InferencePool. Each problem names the object, the field and the
// upstream component that produced (or refused) it. No I/O: controllers.e2e.ts gathers the
// objects; test/e2e/llmisvc-checks.test.ts feeds these hand-made ones.

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const get = (o: unknown, ...keys: (string | number)[]): unknown => keys.reduce<unknown>((v, k) => (isMap(v) || Array.isArray(v) ? (v as Json)[k as string] : undefined), o);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export interface Problem {
  /** `Kind namespace/name` of the object at fault. */
  readonly object: string;
  /** JSON path of the field inside it. */
  readonly field: string;
  /** The upstream component that made the object (or refused it). */
  readonly component: string;
  readonly message: string;
}

export const formatProblem = (p: Problem) => `${p.object} ${p.field}: ${p.message} [${p.component}]`;

export const KSERVE = "KServe llmisvc controller v0.20.0";
export const LWS = "LWS controller v0.8.0";
export const SCHEDULER = "kube-scheduler v1.33.13";

/** What the platform asked for one model (from the planned LLMInferenceService and the stack). */
export interface ModelExpectation {
  readonly name: string;
  readonly namespace: string;
  readonly simulator: boolean;
  /** Args the platform gave the main container; each must reach the final command line. */
  readonly platformArgs: readonly string[];
  /** GPUs per pod; 0 for simulators. */
  readonly gpus: number;
  /** Node labels of the model's pool (empty for simulators). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Taint keys of the pool's nodes the pods must tolerate. */
  readonly taintKeys: readonly string[];
  /** The weights are restored onto the node and mounted read-only from the host. */
  readonly restore: boolean;
  /** The InferencePool the route must send inference requests to (its name). */
  readonly inferencePool: string;
  /** What the route's inference rules must send to: the pool, or (no scheduler) the workload Service. */
  readonly backend?: { readonly kind: "InferencePool" | "Service"; readonly name: string };
  /** The base URL plan exports for the model (`…/<namespace>/<model>/v1`). */
  readonly endpointBaseUrl: string;
}

/** A workload KServe (or LWS for it) made: one pod template and where it came from. */
export interface Workload {
  /** `Deployment ns/name`, `LeaderWorkerSet ns/name (leader)`, … */
  readonly object: string;
  /** JSON path of the pod template inside the object. */
  readonly templatePath: string;
  readonly template: unknown;
  /** kserve.io/component / llm-d.ai/role of the workload, for messages and P/D coverage. */
  readonly role: string;
}

// -- the vLLM command line -------------------------------------------------------------------

export interface CommandLine {
  /** The program that runs: `vllm serve` or the simulator binary. */
  readonly program: string;
  /** Positional model argument of `vllm serve` (the preset serves `/mnt/models`). */
  readonly model?: string;
  /** `--flag` or `--flag=value` tokens in order, values of `--flag value` joined with `=`. */
  readonly flags: readonly string[];
}

/** Shell words of a string, enough for the preset's `exec vllm serve …` line (quotes, no expansion). */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    out.push(m[1] ?? m[2] ?? m[3]);
  }
  return out;
}

function flagsOf(tokens: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t.startsWith("--") || t === "--") {
      continue;
    }
    if (t.includes("=")) {
      flags.push(t);
      continue;
    }
    const values: string[] = [];
    while (i + 1 < tokens.length && !tokens[i + 1].startsWith("--") && !tokens[i + 1].startsWith("$")) {
      values.push(tokens[++i]);
    }
    flags.push(values.length > 0 ? `${t}=${values.join(" ")}` : t);
  }
  return flags;
}

/**
 * The command line a container runs: for KServe's preset (`/bin/bash -c "… exec vllm serve
 * /mnt/models <flags> … $@" -- <args>`) the flags of the exec line plus the args; otherwise the
 * command and args as they are.
 */
export function commandLine(container: unknown): CommandLine {
  const command = list(get(container, "command")).map(String);
  const args = list(get(container, "args")).map(String);
  if (command[0]?.endsWith("bash") && command[1] === "-c") {
    const script = command[2] ?? "";
    const exec = /exec vllm serve\s+([\s\S]*?)\$@/.exec(script.replace(/\\\n/g, " "));
    if (exec === null) {
      return { program: "bash -c (no exec vllm serve line)", flags: flagsOf(args) };
    }
    const tokens = words(exec[1]).filter((t) => !/^\$\{?[A-Z_]+\}?$/.test(t));
    const model = tokens[0]?.startsWith("--") ? undefined : tokens.shift();
    // The script's own words before `$@`, then the container args, which bash passes as $@.
    return { program: "vllm serve", ...(model !== undefined ? { model } : {}), flags: [...flagsOf(tokens), ...flagsOf(command.slice(3).filter((a) => a !== "--")), ...flagsOf(args)] };
  }
  if (command.length === 0) {
    return { program: "(image entrypoint)", flags: flagsOf(args) };
  }
  const model = args.find((a) => !a.startsWith("--"));
  return { program: command.join(" "), ...(model !== undefined && command.includes("serve") ? { model } : {}), flags: flagsOf([...command.slice(1), ...args]) };
}

const flagName = (f: string) => f.split("=")[0];

// -- per-workload checks ---------------------------------------------------------------------

function mainContainer(template: unknown): Json | undefined {
  const containers = list(get(template, "spec", "containers")).filter(isMap);
  return containers.find((c) => c.name === "main") ?? containers[0];
}

/** Seconds the startup probe allows before the kubelet restarts the container. */
export function startupBudgetSeconds(probe: unknown): number | undefined {
  if (!isMap(probe)) {
    return undefined;
  }
  const n = (k: string, d: number) => (typeof probe[k] === "number" ? (probe[k] as number) : d);
  return n("initialDelaySeconds", 0) + n("failureThreshold", 3) * n("periodSeconds", 10);
}

export function checkWorkload(w: Workload, expect: ModelExpectation): Problem[] {
  const problems: Problem[] = [];
  const at = (field: string, message: string, component = KSERVE) => problems.push({ object: w.object, field: `${w.templatePath}.${field}`, component, message });
  const main = mainContainer(w.template);
  if (main === undefined) {
    at("spec.containers", "no containers");
    return problems;
  }
  const ci = list(get(w.template, "spec", "containers")).indexOf(main);
  const c = `spec.containers[${ci}]`;
  const cmd = commandLine(main);

  // Each flag once: vLLM's argparse keeps the last of a repeated flag, silently.
  const counts = new Map<string, number>();
  for (const f of cmd.flags) {
    counts.set(flagName(f), (counts.get(flagName(f)) ?? 0) + 1);
  }
  for (const [flag, n] of counts) {
    if (n > 1) {
      at(`${c}.args`, `${flag} appears ${n} times on the final command line (${cmd.program} ${cmd.flags.join(" ")})`);
    }
  }
  for (const arg of expect.platformArgs) {
    if (!cmd.flags.includes(arg) && !(list(main.args).map(String).includes(arg))) {
      problems.push({ object: w.object, field: `${w.templatePath}.${c}.args`, component: KSERVE, message: `the platform's ${arg} did not reach the command line (${cmd.flags.join(" ")})` });
    }
  }
  if (!expect.simulator && cmd.model !== "/mnt/models") {
    at(`${c}.command`, `vLLM serves ${cmd.model ?? "(no model argument)"}, not /mnt/models (${cmd.program})`);
  }

  const limit = str(get(main, "resources", "limits", "nvidia.com/gpu"));
  if (expect.gpus > 0 && limit !== String(expect.gpus)) {
    at(`${c}.resources.limits["nvidia.com/gpu"]`, `is ${limit ?? "unset"}, the model needs ${expect.gpus}`);
  }
  if (expect.gpus === 0 && limit !== undefined) {
    at(`${c}.resources.limits["nvidia.com/gpu"]`, `is ${limit} on a simulator`);
  }

  const selector = (get(w.template, "spec", "nodeSelector") ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(expect.nodeSelector)) {
    if (selector[k] !== v) {
      at(`spec.nodeSelector["${k}"]`, `is ${selector[k] ?? "unset"}, the pool's nodes carry ${v}`);
    }
  }
  const tolerated = list(get(w.template, "spec", "tolerations")).map((t) => str(get(t, "key")) ?? "*");
  for (const key of expect.taintKeys) {
    if (!tolerated.includes(key) && !tolerated.includes("*")) {
      at("spec.tolerations", `no toleration for the pool's ${key} taint`);
    }
  }

  const budget = startupBudgetSeconds(get(main, "startupProbe"));
  if (budget === undefined || budget < 600) {
    at(`${c}.startupProbe`, `allows ${budget ?? 0} s before a restart; KServe's preset allows 600 s and vLLM needs at least that`);
  }

  // The preStop hook runs inside the main container's image.
  const preStop = list(get(main, "lifecycle", "preStop", "exec", "command")).map(String);
  if (expect.simulator && preStop.length > 0) {
    const binary = list(main.command).map(String)[0];
    if (preStop[0] !== binary) {
      at(`${c}.lifecycle.preStop.exec.command`, `runs ${preStop[0]}, which the simulator's distroless image (only ${binary ?? "its entrypoint"}) does not have`);
    }
  }

  if (expect.restore) {
    const inits = list(get(w.template, "spec", "initContainers")).filter(isMap);
    if (!inits.some((i) => String(i.name).startsWith("restore"))) {
      at("spec.initContainers", `no restore init container (has: ${inits.map((i) => String(i.name)).join(", ") || "none"})`);
    }
    const mount = list(main.volumeMounts).filter(isMap).find((m) => m.mountPath === "/mnt/models");
    const volumes = list(get(w.template, "spec", "volumes")).filter(isMap);
    const volume = volumes.find((v) => v.name === mount?.name);
    if (mount === undefined || mount.readOnly !== true || !isMap(volume?.hostPath)) {
      at(`${c}.volumeMounts`, `/mnt/models is not a read-only mount of a host path (mount ${JSON.stringify(mount ?? null)}, volume ${JSON.stringify(volume ?? null)})`);
    }
  }
  return problems;
}

// -- placement -------------------------------------------------------------------------------

export interface PodView {
  readonly name: string;
  readonly nodeName?: string;
  readonly phase?: string;
  /** The scheduler's reason when the pod is not bound (PodScheduled=False message). */
  readonly unschedulable?: string;
  readonly ready: boolean;
}

export function podView(pod: unknown): PodView {
  const conditions = list(get(pod, "status", "conditions"));
  const scheduled = conditions.find((c) => get(c, "type") === "PodScheduled");
  const ready = conditions.some((c) => get(c, "type") === "Ready" && get(c, "status") === "True");
  const nodeName = str(get(pod, "spec", "nodeName"));
  const why = get(scheduled, "status") === "False" ? `${String(get(scheduled, "reason"))}: ${String(get(scheduled, "message"))}` : undefined;
  const phase = str(get(pod, "status", "phase"));
  return { name: String(get(pod, "metadata", "name")), ready, ...(nodeName ? { nodeName } : {}), ...(phase ? { phase } : {}), ...(why ? { unschedulable: why } : {}) };
}

/**
 * Every pod is bound to a node of the model's pool (a GPU node for GPU models, a CPU node for
 * simulators) and running; a pod that is not bound is a problem carrying the scheduler's reason.
 */
export function checkPlacement(namespace: string, pods: readonly PodView[], nodeLabels: ReadonlyMap<string, Readonly<Record<string, string>>>, expect: ModelExpectation): Problem[] {
  const problems: Problem[] = [];
  if (pods.length === 0) {
    problems.push({ object: `LLMInferenceService ${namespace}/${expect.name}`, field: "(pods)", component: "kube-controller-manager", message: "no pod of the model exists" });
  }
  for (const pod of pods) {
    const object = `Pod ${namespace}/${pod.name}`;
    if (pod.nodeName === undefined) {
      problems.push({ object, field: "spec.nodeName", component: SCHEDULER, message: `Pending, not scheduled: ${pod.unschedulable ?? "no reason reported yet"}` });
      continue;
    }
    const labels = nodeLabels.get(pod.nodeName) ?? {};
    for (const [k, v] of Object.entries(expect.nodeSelector)) {
      if (labels[k] !== v) {
        problems.push({ object, field: "spec.nodeName", component: SCHEDULER, message: `bound to ${pod.nodeName}, which is not in the pool (${k}=${labels[k] ?? "unset"})` });
      }
    }
    if (expect.gpus === 0 && labels["nvidia.com/gpu.present"] === "true") {
      problems.push({ object, field: "spec.nodeName", component: SCHEDULER, message: `a simulator landed on GPU node ${pod.nodeName}` });
    }
    if (!pod.ready) {
      problems.push({ object, field: "status.conditions[Ready]", component: "kwok", message: `bound to ${pod.nodeName} but not Ready (phase ${pod.phase ?? "unknown"})` });
    }
  }
  return problems;
}

// -- routing ---------------------------------------------------------------------------------

export interface RouteResolution {
  readonly rule: string;
  readonly rewrittenPath: string;
  readonly backend: { readonly kind: string; readonly name: string };
}

/**
 * Where a gateway sends a request path by the route's rules: the longest matching PathPrefix
 * (Gateway API precedence), its URLRewrite ReplacePrefixMatch applied, its first backendRef.
 */
export function resolvePath(route: unknown, requestPath: string): RouteResolution | undefined {
  let best: { prefix: string; rule: unknown } | undefined;
  for (const rule of list(get(route, "spec", "rules"))) {
    for (const match of list(get(rule, "matches"))) {
      const type = str(get(match, "path", "type")) ?? "PathPrefix";
      const value = str(get(match, "path", "value")) ?? "/";
      const trimmed = value.replace(/\/+$/, "");
      const hit = type === "Exact" ? requestPath === value : requestPath === trimmed || requestPath.startsWith(`${trimmed}/`) || trimmed === "";
      if (hit && (best === undefined || trimmed.length > best.prefix.length)) {
        best = { prefix: trimmed, rule };
      }
    }
  }
  if (best === undefined) {
    return undefined;
  }
  const rewrite = list(get(best.rule, "filters")).find((f) => get(f, "type") === "URLRewrite");
  const replace = str(get(rewrite, "urlRewrite", "path", "replacePrefixMatch"));
  const rest = requestPath.slice(best.prefix.length);
  const rewrittenPath = replace === undefined ? requestPath : `${replace.replace(/\/+$/, "")}${rest}` || "/";
  const ref = list(get(best.rule, "backendRefs"))[0];
  return {
    rule: str(get(best.rule, "name")) ?? `(matching ${best.prefix})`,
    rewrittenPath: rewrittenPath.startsWith("/") ? rewrittenPath : `/${rewrittenPath}`,
    backend: { kind: str(get(ref, "kind")) ?? "Service", name: str(get(ref, "name")) ?? "(none)" },
  };
}

/**
 * The endpoint plan exports reaches the model: `<base>/chat/completions` and `<base>/completions`
 * on KServe's HTTPRoute are rewritten to `/v1/...` and sent to the expected InferencePool, and the
 * route is attached to the platform's gateway.
 */
export function checkRoute(routes: readonly unknown[], expect: ModelExpectation, gateway: { name: string; namespace: string }): Problem[] {
  const object = (r: unknown) => `HTTPRoute ${String(get(r, "metadata", "namespace"))}/${String(get(r, "metadata", "name"))}`;
  if (routes.length === 0) {
    return [{ object: `LLMInferenceService ${expect.namespace}/${expect.name}`, field: "spec.router.route", component: KSERVE, message: "KServe made no HTTPRoute for the model" }];
  }
  const problems: Problem[] = [];
  const base = new URL(expect.endpointBaseUrl.replace("<gateway-address>", "gateway.invalid")).pathname.replace(/\/+$/, "");
  for (const suffix of ["/chat/completions", "/completions"]) {
    const path = `${base}${suffix}`;
    const hits = routes.map((r) => ({ r, got: resolvePath(r, path) })).filter((h) => h.got !== undefined);
    if (hits.length === 0) {
      problems.push({ object: object(routes[0]), field: "spec.rules", component: KSERVE, message: `no rule matches ${path}, the path of the endpoint plan exports (${expect.endpointBaseUrl})` });
      continue;
    }
    const { r, got } = hits[0] as { r: unknown; got: RouteResolution };
    if (got.rewrittenPath !== `/v1${suffix}`) {
      problems.push({ object: object(r), field: `spec.rules[${got.rule}].filters`, component: KSERVE, message: `${path} is rewritten to ${got.rewrittenPath}, not /v1${suffix}` });
    }
    const want = expect.backend ?? { kind: "InferencePool", name: expect.inferencePool };
    if (got.backend.kind !== want.kind || got.backend.name !== want.name) {
      problems.push({ object: object(r), field: `spec.rules[${got.rule}].backendRefs`, component: KSERVE, message: `${path} goes to ${got.backend.kind} ${got.backend.name}, not ${want.kind} ${want.name}` });
    }
    const parents = list(get(r, "spec", "parentRefs"));
    if (!parents.some((p) => get(p, "name") === gateway.name && (get(p, "namespace") ?? get(r, "metadata", "namespace")) === gateway.namespace)) {
      problems.push({ object: object(r), field: "spec.parentRefs", component: KSERVE, message: `not attached to Gateway ${gateway.namespace}/${gateway.name} (${JSON.stringify(parents)})` });
    }
  }
  return problems;
}

/**
 * The InferencePool the route uses selects the model's pods (its selector matches their labels)
 * and targets the port vLLM listens on.
 */
export function checkPool(pool: unknown, podLabels: readonly Readonly<Record<string, string>>[], expect: ModelExpectation, component: string): Problem[] {
  const object = `InferencePool ${expect.namespace}/${expect.inferencePool}`;
  if (pool === undefined) {
    return [{ object, field: "(object)", component, message: "does not exist" }];
  }
  const selector = (get(pool, "spec", "selector", "matchLabels") ?? {}) as Record<string, string>;
  const problems: Problem[] = [];
  if (Object.keys(selector).length === 0) {
    problems.push({ object, field: "spec.selector.matchLabels", component, message: "selects nothing" });
  } else if (podLabels.length > 0 && !podLabels.some((l) => Object.entries(selector).every(([k, v]) => l[k] === v))) {
    problems.push({ object, field: "spec.selector.matchLabels", component, message: `${JSON.stringify(selector)} selects none of the model's pods (labels ${JSON.stringify(podLabels[0])})` });
  }
  const ports = list(get(pool, "spec", "targetPorts")).map((p) => get(p, "number"));
  if (!ports.includes(8000)) {
    problems.push({ object, field: "spec.targetPorts", component, message: `${JSON.stringify(ports)} does not include vLLM's port 8000` });
  }
  return problems;
}

/**
 * Reasons KServe gives while the gateway controller (Envoy Gateway, GKE's) has not yet accepted
 * the Gateway, HTTPRoute or InferencePool. The tier runs no gateway controller, so these are the
 * only reasons a condition may be other than True.
 */
export const AWAITING_GATEWAY_CONTROLLER: ReadonlySet<string> = new Set(["GatewaysNotReady", "HTTPRoutesNotReady", "WaitingForGateway"]);

/**
 * Conditions of the stored LLMInferenceService: the listed ones present, and every condition True
 * unless it only waits for the gateway controller. KServe's reason and message are reported.
 */
export function checkConditions(llmisvc: unknown, mustExist: readonly string[]): Problem[] {
  const object = `LLMInferenceService ${String(get(llmisvc, "metadata", "namespace"))}/${String(get(llmisvc, "metadata", "name"))}`;
  const conditions = list(get(llmisvc, "status", "conditions"));
  const problems: Problem[] = [];
  for (const type of mustExist) {
    if (!conditions.some((x) => get(x, "type") === type)) {
      problems.push({ object, field: `status.conditions[${type}]`, component: KSERVE, message: "missing" });
    }
  }
  for (const c of conditions) {
    const reason = String(get(c, "reason"));
    if (get(c, "status") !== "True" && !AWAITING_GATEWAY_CONTROLLER.has(reason)) {
      problems.push({ object, field: `status.conditions[${String(get(c, "type"))}]`, component: KSERVE, message: `${String(get(c, "status"))}: ${reason} ${String(get(c, "message") ?? "")}`.trim() });
    }
  }
  return problems;
}
