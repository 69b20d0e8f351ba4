#!/usr/bin/env bash
# Rolls a gateway release out to the running stack and rolls it back when the gate fails.
#   infra/scripts/rollout.sh <stack-name> <release.tgz>
# Used by .github/workflows/deploy.yml and by the optional CodePipeline (the same stages):
#   1. read the stack's outputs (bucket, release key, Auto Scaling group, public URL)
#   2. remember the current release's S3 version, upload the new one
#   3. restart the gateway on each instance in service, one at a time (SSM Run Command; the
#      service fetches the release from S3 before every start)
#   4. gate: GET <GatewayUrl>/readyz must answer 200 three times in a row within GATE_TIMEOUT_SECONDS
#   5. on failure: restore the previous version as the current object, restart again, exit 1
# Needs the AWS CLI v2 and curl. Environment: AWS_REGION (or the CLI's default), GATE_TIMEOUT_SECONDS
# (default 300), GATE_INTERVAL_SECONDS (default 5).
set -euo pipefail

stack=${1:?usage: rollout.sh <stack-name> <release.tgz>}
release=${2:?usage: rollout.sh <stack-name> <release.tgz>}
gate_timeout=${GATE_TIMEOUT_SECONDS:-300}
gate_interval=${GATE_INTERVAL_SECONDS:-5}
unit=review-assistant-gateway.service

[ -f "$release" ] || { echo "rollout: $release does not exist (npm run package:gateway -w infra)" >&2; exit 2; }

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
release_uri=$(output ReleaseUri)
group=$(output AutoScalingGroupName)
gateway_url=$(output GatewayUrl)
bucket=${release_uri#s3://}
bucket=${bucket%%/*}
key=${release_uri#s3://"$bucket"/}
echo "rollout: stack $stack, release s3://$bucket/$key, group $group, gate $gateway_url/readyz"

previous=$(aws s3api list-object-versions --bucket "$bucket" --prefix "$key" \
  --query "Versions[?Key=='$key' && IsLatest].VersionId | [0]" --output text)
[ "$previous" = None ] && previous=
aws s3 cp "$release" "s3://$bucket/$key" --only-show-errors
echo "rollout: uploaded $release (previous version: ${previous:-none})"

restart_all() {
  local instances instance command
  instances=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$group" \
    --query "AutoScalingGroups[0].Instances[?LifecycleState=='InService'].InstanceId" --output text)
  [ -n "$instances" ] && [ "$instances" != None ] || { echo "rollout: no instance in service in $group" >&2; return 1; }
  # one at a time: with several instances the load balancer keeps serving from the others
  for instance in $instances; do
    command=$(aws ssm send-command --instance-ids "$instance" --document-name AWS-RunShellScript \
      --comment "review assistant rollout" --parameters "commands=[\"systemctl restart $unit\"]" \
      --query Command.CommandId --output text)
    if ! aws ssm wait command-executed --command-id "$command" --instance-id "$instance"; then
      echo "rollout: restart on $instance failed" >&2
      return 1
    fi
    echo "rollout: restarted the gateway on $instance"
  done
}

gate() {
  local deadline healthy=0
  deadline=$((SECONDS + gate_timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fsS -o /dev/null --max-time 10 "$gateway_url/readyz"; then
      healthy=$((healthy + 1))
      [ "$healthy" -ge 3 ] && return 0
    else
      healthy=0
    fi
    sleep "$gate_interval"
  done
  return 1
}

if restart_all && gate; then
  echo "rollout: $gateway_url is ready on the new release"
  exit 0
fi

echo "rollout: the new release failed its gate" >&2
if [ -z "$previous" ]; then
  echo "rollout: no previous release to roll back to" >&2
  exit 1
fi
aws s3api copy-object --bucket "$bucket" --key "$key" --copy-source "$bucket/$key?versionId=$previous" >/dev/null
echo "rollout: restored version $previous as the current release; restarting" >&2
if restart_all && gate; then
  echo "rollout: rolled back; $gateway_url is ready on the previous release" >&2
else
  echo "rollout: rollback did not pass the gate either; look at the instances (docs/DEPLOY.md)" >&2
fi
exit 1
