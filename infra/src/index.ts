export { GatewayStack, METRICS_NAMESPACE, SECRET_NAMES, GATEWAY_INTERNAL_PORT } from './gateway-stack.js';
export type { GatewayStackProps } from './gateway-stack.js';
export { readStackConfig } from './stack-config.js';
export type { DeploymentMode, GatewayStackConfig, IngressMode } from './stack-config.js';
