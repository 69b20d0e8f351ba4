#!/usr/bin/env bash
# The CloudFront edge secret (X-Origin-Verify) as a random value in SSM Parameter Store.
#   infra/scripts/edge-secret.sh create                  # once, before the first `cdk deploy`
#   infra/scripts/edge-secret.sh rotate [stack-name]     # new value; gateways accept old and new
#   infra/scripts/edge-secret.sh finish [stack-name]     # after the deploy: drop the old value
# The value is 32 random bytes (64 hex digits) in the String parameter <prefix>/EDGE_SECRET
# (standard tier: free). CloudFront and the ALB read a pinned version of it through CloudFormation
# dynamic references (context edgeSecretVersion); the gateway reads it from SSM at every start.
# No value is ever printed, logged or passed on a command line (values go to the CLI through a
# file readable only by this user). Environment: PARAMETER_PREFIX (default /review-assistant,
# the stack's parameterPrefix), AWS_REGION, GATE_TIMEOUT_SECONDS / GATE_INTERVAL_SECONDS (the
# readiness gate after each restart, infra/scripts/gateway-restart.sh). Needs the AWS CLI v2 and curl.
#
# Rotation without a gap (docs/DEPLOY.md, "Rotate the edge secret"):
#   1. rotate: the current value becomes <prefix>/EDGE_SECRET_PREVIOUS, a new version of
#      EDGE_SECRET is written, and every gateway restarts, now accepting both
#   2. set edgeSecretVersion to the printed version in infra/cdk.json and deploy: CloudFront sends
#      the new value (the ALB accepts both versions while edge locations switch over)
#   3. finish: EDGE_SECRET_PREVIOUS is deleted and the gateways restart, accepting only the new one
set -euo pipefail

usage="usage: edge-secret.sh create | rotate [stack-name] | finish [stack-name]"
action=${1:?$usage}
stack=${2:-ReviewAssistantGateway}
prefix=${PARAMETER_PREFIX:-/review-assistant}
current="$prefix/EDGE_SECRET"
previous="$prefix/EDGE_SECRET_PREVIOUS"
# stack_output, in_service_instances, json_commands, restart_lines, run_on_instance, wait_instance_ready, restart_every_gateway
. "$(dirname "${BASH_SOURCE[0]}")/gateway-restart.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
chmod 700 "$scratch"

# exists <name>: whether the parameter exists; stops the script when the CLI fails (expired
# credentials, no access), which must not read as "absent"
exists() {
  local count
  if ! count=$(aws ssm get-parameters --names "$1" --query 'length(Parameters)' --output text); then
    echo "edge-secret: could not read $1 (the AWS CLI failed: credentials, region, permissions?)" >&2
    exit 1
  fi
  [ "$count" = 1 ]
}

# put <name> <file> [--overwrite]: the value is read by the CLI from the file (file://)
put() {
  aws ssm put-parameter --name "$1" --type String --tier Standard --value "file://$2" ${3:+"$3"} \
    --description 'Review assistant: CloudFront edge secret (X-Origin-Verify), infra/scripts/edge-secret.sh' \
    --query Version --output text
}

new_value() {
  # 32 random bytes as hex, written without a newline (the CLI would keep it in the value)
  od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$scratch/new"
  [ "$(wc -c < "$scratch/new")" -eq 64 ] || { echo "edge-secret: could not read /dev/urandom" >&2; exit 1; }
}

# Restarts the gateway on every instance in service, one at a time, so it reads the parameters
# again (restart_every_gateway, gateway-restart.sh).
restart_gateways() {
  restart_every_gateway edge-secret "review assistant: edge secret $action" "new instances read the parameters when they start"
}

case "$action" in
  create)
    if exists "$current"; then
      echo "edge-secret: $current exists already; nothing to do (rotate replaces it)"
      exit 0
    fi
    new_value
    version=$(put "$current" "$scratch/new")
    echo "edge-secret: created $current (version $version); keep edgeSecretVersion=$version (the default is 1) and deploy"
    ;;
  rotate)
    exists "$current" || { echo "edge-secret: $current does not exist; run: edge-secret.sh create" >&2; exit 1; }
    if exists "$previous"; then
      echo "edge-secret: $previous exists: a rotation is not finished; run: edge-secret.sh finish $stack" >&2
      exit 1
    fi
    # the current value into a file, without a trailing newline, then into EDGE_SECRET_PREVIOUS
    value=$(aws ssm get-parameter --name "$current" --query Parameter.Value --output text)
    printf '%s' "$value" > "$scratch/old"
    unset value
    put "$previous" "$scratch/old" > /dev/null
    new_value
    version=$(put "$current" "$scratch/new" --overwrite)
    echo "edge-secret: wrote version $version of $current; the old value is in $previous"
    restart_gateways || { echo "edge-secret: version $version of $current is written; once every gateway serves again (docs/DEPLOY.md), set \"edgeSecretVersion\": $version in infra/cdk.json, deploy, then run: edge-secret.sh finish $stack" >&2; exit 1; }
    echo "edge-secret: next: set \"edgeSecretVersion\": $version in infra/cdk.json (context), deploy, then run: edge-secret.sh finish $stack"
    ;;
  finish)
    if ! exists "$previous"; then
      echo "edge-secret: $previous does not exist; no rotation to finish"
      exit 0
    fi
    aws ssm delete-parameter --name "$previous"
    echo "edge-secret: deleted $previous"
    restart_gateways
    echo "edge-secret: the gateways accept only the current value now"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
