// A Pod the controllers made, as local processes: its containers' command lines with the
// environment Kubernetes would give them ($(VAR) references and downward-API fields resolved),
// and its volume mounts as host files at the mount paths (pod-root.sh). The data path runs the
// gateway's proxy Pod this way: Envoy and the AI Gateway's external processor exactly as Envoy
// Gateway laid them out and the AI Gateway's webhook injected them. Pure.

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), o);
const maps = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isMap) : []);

/** One container to run: the local program standing in for its image, and what it is given. */
export interface LocalContainer {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Volume mounts: the Pod volume's name and the path it is mounted at (with a subPath, if any). */
  readonly mounts: readonly { readonly volume: string; readonly target: string; readonly subPath?: string }[];
}

/** A downward-API field the way the kubelet resolves it (metadata.name, .namespace, .labels['k'], .annotations['k'], status.podIP). */
export function podField(pod: Json, fieldPath: string): string {
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed !== null) {
    const value = get(pod, "metadata", keyed[1], keyed[2]);
    return typeof value === "string" ? value : "";
  }
  const simple: Record<string, unknown> = {
    "metadata.name": get(pod, "metadata", "name"),
    "metadata.namespace": get(pod, "metadata", "namespace"),
    "metadata.uid": get(pod, "metadata", "uid"),
    "spec.nodeName": get(pod, "spec", "nodeName"),
    "spec.serviceAccountName": get(pod, "spec", "serviceAccountName"),
    "status.podIP": get(pod, "status", "podIP"),
    "status.hostIP": get(pod, "status", "hostIP"),
  };
  if (!(fieldPath in simple)) {
    throw new Error(`Pod ${String(get(pod, "metadata", "name"))}: the downward-API field ${fieldPath} is not one the tier resolves`);
  }
  return String(simple[fieldPath] ?? "");
}

/** Kubernetes' $(VAR) expansion in command and args: known variables replaced, $$ escapes, unknown references kept. */
export function expandReferences(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (name === undefined) {
      return "$";
    }
    return name in env ? env[name] : whole;
  });
}

function containerEnv(pod: Json, container: Json): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of maps(container.env)) {
    const name = String(e.name);
    if (typeof e.value === "string") {
      env[name] = expandReferences(e.value, env);
      continue;
    }
    const field = get(e, "valueFrom", "fieldRef", "fieldPath");
    if (typeof field === "string") {
      env[name] = podField(pod, field);
      continue;
    }
    if (e.valueFrom !== undefined) {
      throw new Error(`Pod ${String(get(pod, "metadata", "name"))}, container ${String(container.name)}: env ${name} comes from ${Object.keys(e.valueFrom as Json).join(", ")}, which the tier does not resolve`);
    }
    env[name] = "";
  }
  return env;
}

/**
 * The named containers of `pod` (sidecar init containers included) as local processes, each with
 * `programs[name]` in place of its image's entrypoint: the container's command (its first word
 * replaced by the program) and args, or the args alone after the program when the image's
 * entrypoint runs them. Throws when a named container is not in the Pod.
 */
export function localContainers(pod: Json, programs: Readonly<Record<string, string>>): LocalContainer[] {
  const all = [...maps(get(pod, "spec", "initContainers")), ...maps(get(pod, "spec", "containers"))];
  return Object.entries(programs).map(([name, program]) => {
    const container = all.find((c) => c.name === name);
    if (container === undefined) {
      throw new Error(`Pod ${String(get(pod, "metadata", "name"))} has no container ${name} (it has ${all.map((c) => String(c.name)).join(", ")})`);
    }
    const env = containerEnv(pod, container);
    const command = Array.isArray(container.command) ? container.command.map(String) : [];
    const args = Array.isArray(container.args) ? container.args.map(String) : [];
    const argv = [program, ...command.slice(1), ...args].map((a, i) => (i === 0 ? a : expandReferences(a, env)));
    const mounts = maps(container.volumeMounts).map((m) => ({ volume: String(m.name), target: String(m.mountPath), ...(typeof m.subPath === "string" ? { subPath: m.subPath } : {}) }));
    return { name, argv, env, mounts };
  });
}

/** Where a Pod volume's content comes from: a Secret's or ConfigMap's keys (as files), or an empty directory. */
export type VolumeSource = { readonly secret: string; readonly items?: readonly { key: string; path: string }[] } | { readonly configMap: string; readonly items?: readonly { key: string; path: string }[] } | { readonly emptyDir: true };

/** The Pod's volume `name`, as the tier materialises it (Secret, ConfigMap or emptyDir; anything else is refused). */
export function volumeSource(pod: Json, name: string): VolumeSource {
  const volume = maps(get(pod, "spec", "volumes")).find((v) => v.name === name);
  if (volume === undefined) {
    throw new Error(`Pod ${String(get(pod, "metadata", "name"))}: a container mounts volume ${name}, which the Pod does not declare`);
  }
  const items = (v: unknown) => {
    const list = maps(v).map((i) => ({ key: String(i.key), path: String(i.path) }));
    return list.length > 0 ? { items: list } : {};
  };
  if (isMap(volume.secret)) {
    return { secret: String(volume.secret.secretName), ...items(volume.secret.items) };
  }
  if (isMap(volume.configMap)) {
    return { configMap: String(volume.configMap.name), ...items(volume.configMap.items) };
  }
  if (isMap(volume.emptyDir)) {
    return { emptyDir: true };
  }
  throw new Error(`Pod ${String(get(pod, "metadata", "name"))}: volume ${name} is of a kind the tier does not materialise (${Object.keys(volume).filter((k) => k !== "name").join(", ")})`);
}

/** The files a Secret's or ConfigMap's volume holds: every key (or the listed items), base64-decoded for a Secret. */
export function volumeFiles(source: Exclude<VolumeSource, { emptyDir: true }>, object: Json): Map<string, Buffer> {
  const isSecret = "secret" in source;
  const data = (isMap(object.data) ? object.data : {}) as Record<string, string>;
  const decode = (v: string) => (isSecret ? Buffer.from(v, "base64") : Buffer.from(v, "utf8"));
  const name = isSecret ? source.secret : source.configMap;
  const entries = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
  return new Map(
    entries.map(({ key, path }) => {
      if (!(key in data)) {
        throw new Error(`${isSecret ? "Secret" : "ConfigMap"} ${name} has no key ${key}, which the Pod's volume lists`);
      }
      return [path, decode(data[key])] as const;
    }),
  );
}

/** A word for sh, quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One process the supervisor starts, logging to `log`. */
export interface SupervisedProcess {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly log: string;
}

/**
 * The shell script that runs as the network namespace's first process: starts every process in
 * the background and waits; it is the PID namespace's init, so when it goes everything in the
 * namespace goes with it.
 */
export function supervisorScript(processes: readonly SupervisedProcess[]): string {
  const lines = ["set -eu"];
  for (const p of processes) {
    const env = Object.entries(p.env).map(([k, v]) => shellWord(`${k}=${v}`));
    lines.push(`env ${[...env, ...p.argv.map(shellWord)].join(" ")} > ${shellWord(p.log)} 2>&1 &`);
  }
  lines.push("wait");
  return `${lines.join("\n")}\n`;
}
