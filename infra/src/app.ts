import { App } from 'aws-cdk-lib';
import { GatewayStack } from './gateway-stack.js';
import { readStackConfig } from './stack-config.js';

// No `env`: the stack stays environment-agnostic, so `cdk synth` needs no AWS credentials and
// makes no lookups; `cdk deploy` targets the account and region of the current AWS profile.
const app = new App();
new GatewayStack(app, 'ReviewAssistantGateway', {
  description: 'Review assistant: public gateway (EC2 t3.micro), intent model bucket, interaction log table',
  config: readStackConfig((key) => app.node.tryGetContext(key)),
});
app.synth();
