// IAM documents as the providers accept them: JSON text or objects, one statement or a list,
// strings or lists of actions and resources.
import { Json } from "./kubernetes";

export interface Statement {
  readonly effect: string;
  readonly actions: string[];
  readonly notActions: boolean;
  readonly resources: string[];
  readonly notResources: boolean;
  readonly principals: string[];
  readonly hasCondition: boolean;
}

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** The statements of a policy document (string or object); undefined when it is not one. */
export function statements(doc: unknown): Statement[] | undefined {
  let parsed: Json = doc;
  if (typeof doc === "string") {
    try {
      parsed = JSON.parse(doc);
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== "object") {
    return undefined;
  }
  const raw = parsed.Statement ?? parsed.statement ?? parsed.statements;
  return ((Array.isArray(raw) ? raw : raw ? [raw] : []) as Json[]).map((s) => {
    const p = s?.Principal ?? s?.principal;
    const principals = p === "*" ? ["*"] : p && typeof p === "object" ? Object.values(p).flatMap(list) : list(p);
    return {
      effect: String(s?.Effect ?? s?.effect ?? "Allow"),
      actions: list(s?.Action ?? s?.action ?? s?.actions ?? s?.NotAction ?? s?.notActions),
      notActions: (s?.NotAction ?? s?.notActions) !== undefined,
      resources: list(s?.Resource ?? s?.resource ?? s?.resources ?? s?.NotResource ?? s?.notResources),
      notResources: (s?.NotResource ?? s?.notResources) !== undefined,
      principals,
      hasCondition: (s?.Condition ?? s?.condition ?? s?.conditions) !== undefined,
    };
  });
}

/**
 * Read-only verbs whose wildcard (ec2:Describe*) or `*` resource grants nothing to change, and
 * pricing:GetProducts, which reads public price lists and has no resource type to name (AWS
 * service authorization reference, AWS Price List); Karpenter's controller policy grants it on `*`.
 */
const READ_ONLY = /^([a-z0-9-]+:(Describe|List)[A-Za-z]*\*?|pricing:GetProducts)$/;

/** Why an Allow statement is broader than least privilege, or undefined. */
export function broadGrant(s: Statement): string | undefined {
  if (s.effect !== "Allow") {
    return undefined;
  }
  if (s.notActions) {
    return `NotAction [${s.actions.join(", ")}] allows every other action`;
  }
  const wild = s.actions.filter((a) => a.includes("*") && !READ_ONLY.test(a));
  if (wild.length > 0) {
    return `action ${wild.join(", ")} is a wildcard`;
  }
  if (s.notResources) {
    return `NotResource allows every other resource`;
  }
  if (s.resources.includes("*") && !s.actions.every((a) => READ_ONLY.test(a))) {
    return `resource "*" covers every resource for ${s.actions.join(", ")}`;
  }
  return undefined;
}
