export { kedaValues, KedaValues } from "./keda-values";
export { modelScaler, ScaledModel, scalingSummary, ScalingSummary } from "./model-scaler";
export { modelScaledObject, PrometheusTrigger, ScaledObject, ScaledObjectOptions, scaledObjectName, scaleTarget, SIGNAL_METRICS, signalQuery } from "./scaled-object";
