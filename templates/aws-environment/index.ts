// Stack outputs: endpoints, GPU pools, model estimates, add-ons, and the cluster's kubeconfig.
import { templateProgram } from "llm-platform/components/template";

export = templateProgram("aws");
