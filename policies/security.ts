import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, GATEWAY, Json, objectName, podSpecs } from "./lib/kubernetes";

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

const OPEN = ["0.0.0.0/0", "::/0"];
/** The fix in the stack's own terms: platform clusters take their endpoint settings from here. */
const STACK_API_ACCESS_HINT =
  "In the stack config, list your networks in cluster.apiAccess.publicCidrs, or set it to [] for a private endpoint and name who reaches it in cluster.apiAccess.privateSources.";

export const clusterEndpointRestricted: ResourceValidationPolicy = {
  name: "cluster-endpoint-restricted",
  description: "The Kubernetes API endpoint is not open to the whole internet.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const p = args.props ?? {};
    if (args.type === "aws:eks/cluster:Cluster") {
      const vpc = p.vpcConfig ?? {};
      const cidrs: string[] = vpc.publicAccessCidrs ?? ["0.0.0.0/0"];
      if (vpc.endpointPublicAccess !== false && cidrs.some((c) => OPEN.includes(c))) {
        report(`EKS cluster ${args.name} exposes its API endpoint to 0.0.0.0/0. Set vpcConfig.publicAccessCidrs to your networks or endpointPublicAccess: false.`);
      }
    } else if (args.type === "eks:index:Cluster") {
      const cidrs: string[] = p.publicAccessCidrs ?? ["0.0.0.0/0"];
      if (p.endpointPublicAccess !== false && cidrs.some((c) => OPEN.includes(c))) {
        report(`EKS cluster ${args.name} exposes its API endpoint to 0.0.0.0/0. ${STACK_API_ACCESS_HINT}`);
      }
    } else if (args.type === "gcp:container/cluster:Cluster") {
      const privateEndpoint = p.privateClusterConfig?.enablePrivateEndpoint === true;
      const blocks = (p.masterAuthorizedNetworksConfig?.cidrBlocks ?? []) as Json[];
      const restricted = p.masterAuthorizedNetworksConfig !== undefined && !blocks.some((b) => OPEN.includes(b?.cidrBlock));
      if (!privateEndpoint && !restricted) {
        report(`GKE cluster ${args.name} accepts API traffic from anywhere. ${STACK_API_ACCESS_HINT}`);
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

const TOKEN_ENV = /^(HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_HUB_TOKEN|HUGGINGFACE_TOKEN)$/;
const TOKEN_VALUE = /\bhf_[A-Za-z0-9]{30,}\b/;

export const hfTokenSecret: ResourceValidationPolicy = {
  name: "hf-token-secret",
  description: "Hugging Face tokens reach pods only from Secrets, never as literal values in specs or ConfigMaps.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    for (const view of podSpecs(args.type, args.props)) {
      for (const { name, container } of containersOf(view.spec)) {
        for (const env of (container?.env ?? []) as Json[]) {
          if ((TOKEN_ENV.test(String(env?.name)) && env?.value !== undefined) || TOKEN_VALUE.test(String(env?.value ?? ""))) {
            report(`${objectName(args.type, args.props, args.name)} ${view.path} container ${name}: env ${env.name} holds a Hugging Face token as a literal. Use valueFrom.secretKeyRef with a Secret fed by a Pulumi secret.`);
          }
        }
      }
    }
    if (args.type === "kubernetes:core/v1:ConfigMap") {
      for (const [key, value] of Object.entries((args.props?.data ?? {}) as Record<string, unknown>)) {
        if (TOKEN_VALUE.test(String(value))) {
          report(`ConfigMap ${args.name} key ${key} holds a Hugging Face token. Move it to a Secret.`);
        }
      }
    }
  },
};

/** Whether a Gateway is reachable from the internet, by the platform's label or load-balancer settings. */
export function internetFacing(props: Json): boolean {
  const labels = props?.metadata?.labels ?? {};
  const annotations = { ...(props?.metadata?.annotations ?? {}), ...(props?.spec?.infrastructure?.annotations ?? {}) };
  return (
    labels["llm-platform.io/exposure"] === "internet" ||
    annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] === "internet-facing" ||
    /external/.test(String(props?.spec?.gatewayClassName ?? ""))
  );
}

export const gatewayTls: ResourceValidationPolicy = {
  name: "internet-gateway-tls",
  description: "Internet-facing gateways terminate TLS on every listener.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== GATEWAY || !internetFacing(args.props)) {
      return;
    }
    for (const l of (args.props?.spec?.listeners ?? []) as Json[]) {
      if (l?.protocol !== "HTTPS" && l?.protocol !== "TLS") {
        report(`${objectName(args.type, args.props, args.name)} is internet-facing but listener ${l?.name} speaks ${l?.protocol}. Configure a hostname so the gateway gets an HTTPS listener with a certificate, or make it internal.`);
      }
    }
  },
};

export const securityPolicies = [imdsv2Required, clusterEndpointRestricted, eksSecretsEncryption, hfTokenSecret, gatewayTls];
