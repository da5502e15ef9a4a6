export { MONITORING_FULLNAME, MONITORING_RELEASE, PROMETHEUS_SERVICE_PORT, prometheusQueryUrl } from "./prometheus-url";
