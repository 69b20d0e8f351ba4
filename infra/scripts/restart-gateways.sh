#!/usr/bin/env bash
# Restarts the gateway on every instance in service, one at a time, each serving again (its own
# /readyz, and in mode=ha a healthy load balancer target) before the next one restarts, so the
# site stays up: e.g. after uploading a new intent model (docs/DEPLOY.md), which the gateway
# loads at start.
#   infra/scripts/restart-gateways.sh [stack-name]
# Environment: AWS_REGION, GATE_TIMEOUT_SECONDS / GATE_INTERVAL_SECONDS (gateway-restart.sh).
# Needs the AWS CLI v2 and curl.
set -euo pipefail

stack=${1:-ReviewAssistantGateway}
# stack_output, in_service_instances, json_commands, restart_lines, run_on_instance, wait_instance_ready, restart_every_gateway
. "$(dirname "${BASH_SOURCE[0]}")/gateway-restart.sh"

restart_every_gateway restart-gateways "review assistant: restart the gateway" "nothing to restart"
