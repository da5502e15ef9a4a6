import type { RecordedResource } from "./recorded-resource";

// What cloud resources "return" under the mock runtime: the outputs the program reads (ARNs, IDs,
// the EKS kubeconfig, the GKE endpoint), as placeholders that are obviously not real. Everything
// else echoes the inputs, as the stock mocks do.

/** The account every placeholder ARN names (an AWS documentation example account). */
export const MOCK_ACCOUNT = "123456789012";

/** The role the offline plan pretends to deploy as (an assumed-role session, as CI runners have). */
export const MOCK_DEPLOYER_ROLE = "llm-platform-deployer";

const PLACEHOLDER_CA = Buffer.from("placeholder CA (offline plan)").toString("base64");

function awsArn(type: string, name: string, inputs: Record<string, unknown>): string {
  if (type === "aws:s3/bucket:Bucket") {
    return `arn:aws:s3:::${String(inputs.bucket ?? name)}`;
  }
  const service = type.split(":")[1]?.split("/")[0] ?? "unknown";
  const kind = type.split(":")[2] ?? "resource";
  const global = service === "iam";
  return `arn:aws:${service}:${global ? "" : "us-east-1"}:${MOCK_ACCOUNT}:${kind.toLowerCase()}/${name}`;
}

/** A kubeconfig that names the cluster and cannot reach anything. */
function placeholderKubeconfig(clusterName: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: "https://offline.invalid", "certificate-authority-data": PLACEHOLDER_CA } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [{ name: clusterName, user: {} }],
  });
}

export function cloudMockState(resource: Omit<RecordedResource, "urn">): Record<string, unknown> {
  const { type, name, inputs } = resource;
  if (type === "eks:index:Cluster") {
    const clusterName = String(inputs.name ?? name);
    return {
      ...inputs,
      kubeconfigJson: placeholderKubeconfig(clusterName),
      eksCluster: { name: clusterName, arn: awsArn("aws:eks/cluster:Cluster", clusterName, inputs), vpcConfig: { clusterSecurityGroupId: "sg-0offlineplan0000" } },
    };
  }
  if (type.startsWith("aws:")) {
    // Auto-named resources get their logical name (the engine would add a random suffix).
    const extra: Record<string, unknown> = { arn: awsArn(type, name, inputs), name: inputs.name ?? name };
    if (type === "aws:ec2/launchTemplate:LaunchTemplate") {
      extra.latestVersion = 1;
    }
    if (type === "aws:kms/key:Key") {
      extra.keyId = `${name}-key-id`;
    }
    return { ...inputs, ...extra };
  }
  if (type === "random:index/randomPassword:RandomPassword") {
    // A generated tenant key; the engine marks it secret, as it does the real one.
    return { ...inputs, result: "offline-plan-placeholder-key" };
  }
  if (type === "gcp:container/cluster:Cluster") {
    return { ...inputs, endpoint: "203.0.113.10", masterAuth: { clusterCaCertificate: PLACEHOLDER_CA }, privateClusterConfig: { ...(inputs.privateClusterConfig as object), privateEndpoint: "172.16.0.2" } };
  }
  if (type === "gcp:serviceaccount/account:Account") {
    const email = `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`;
    return { ...inputs, email, name: `projects/${String(inputs.project)}/serviceAccounts/${email}` };
  }
  return inputs;
}

/**
 * What provider functions "return" under the mock runtime: only the ones the program calls. The
 * caller is an assumed-role session of MOCK_DEPLOYER_ROLE, and its session context names the role.
 */
export function cloudMockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (token === "aws:index/getCallerIdentity:getCallerIdentity") {
    return { id: MOCK_ACCOUNT, accountId: MOCK_ACCOUNT, arn: `arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/${MOCK_DEPLOYER_ROLE}/offline-plan`, userId: "AROAOFFLINEPLAN:offline-plan" };
  }
  if (token === "aws:iam/getSessionContext:getSessionContext") {
    const arn = String(inputs.arn);
    const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
    if (session === null) {
      return { id: arn, arn, issuerArn: arn, issuerId: "", issuerName: "", sessionName: "" };
    }
    const [, partition, account, role, name] = session;
    return { id: arn, arn, issuerArn: `arn:${partition}:iam::${account}:role/${role}`, issuerId: "AROAOFFLINEPLAN", issuerName: role, sessionName: name };
  }
  throw new Error(`the offline plan cannot call provider function ${token}`);
}
