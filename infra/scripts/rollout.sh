#!/usr/bin/env bash
# Rolls a gateway release out to the running stack and rolls it back when the gate fails.
#   infra/scripts/rollout.sh <stack-name> <release.tgz>
# Used by .github/workflows/deploy.yml and by the optional CodePipeline (the same stages):
#   1. read the stack's outputs (bucket, release key, Auto Scaling group, public URL)
#   2. remember the current release's S3 version, upload the new one
#   3. restart the gateway on each instance in service, one at a time (SSM Run Command; the
#      service fetches the release from S3 before every start), and check in the command's output
#      that the restarted process runs the uploaded release: the SHA-256 of the tarball, which the
#      instance's prepare script writes into the release directory (RELEASE.sha256), read through
#      /proc/<main pid>/cwd, the directory the running process was started in. Nothing new is
#      exposed publicly. Before the next instance, wait until this one serves again
#      (infra/scripts/gateway-restart.sh: a healthy load balancer target in mode=ha, else the gate)
#   4. gate: GET <GatewayUrl>/readyz must answer 200 three times in a row within GATE_TIMEOUT_SECONDS
#   5. on failure (restart, release check or gate): restore the previous version as the current
#      object, restart and check again, exit 1
# Needs the AWS CLI v2, curl, tar and sha256sum. Environment: AWS_REGION (or the CLI's default), GATE_TIMEOUT_SECONDS
# (default 300), GATE_INTERVAL_SECONDS (default 5).
set -euo pipefail

stack=${1:?usage: rollout.sh <stack-name> <release.tgz>}
release=${2:?usage: rollout.sh <stack-name> <release.tgz>}
# stack_output, in_service_instances, json_commands, restart_lines, run_on_instance, wait_instance_ready, gate_url, unit
. "$(dirname "${BASH_SOURCE[0]}")/gateway-restart.sh"

[ -f "$release" ] || { echo "rollout: $release does not exist (npm run package:gateway -w infra)" >&2; exit 2; }
release_sha256=$(sha256sum "$release" | cut -d' ' -f1)
# the commit the release was built from (RELEASE.json), for the log only: the digest is the check
release_commit=$(tar -xzOf "$release" ./RELEASE.json 2>/dev/null | sed -n 's/.*"commit": *"\([^"]*\)".*/\1/p' || true)

release_uri=$(stack_output ReleaseUri)
group=$(stack_output AutoScalingGroupName)
gateway_url=$(stack_output GatewayUrl)
bucket=${release_uri#s3://}
bucket=${bucket%%/*}
key=${release_uri#s3://"$bucket"/}
echo "rollout: stack $stack, release s3://$bucket/$key, group $group, gate $gateway_url/readyz"

previous=$(aws s3api list-object-versions --bucket "$bucket" --prefix "$key" \
  --query "Versions[?Key=='$key' && IsLatest].VersionId | [0]" --output text)
[ "$previous" = None ] && previous=
aws s3 cp "$release" "s3://$bucket/$key" --only-show-errors
echo "rollout: uploaded $release, sha256 $release_sha256, commit ${release_commit:-unknown} (previous version: ${previous:-none})"

# Run on each instance as one shell script: restart and wait for the gateway's own /readyz
# (restart_lines, gateway-restart.sh), then print the release marker of the new main process.
# /proc/<pid>/cwd is the directory that process was started in, so a start that fell back to the
# release already installed (download failed, bad tarball) reports the old digest.
restart_parameters=$(json_commands "${restart_lines[@]}" \
  "pid=\$(systemctl show --property MainPID --value $unit)" \
  'test ${pid:-0} -gt 0' \
  'echo running-release-sha256=$(cat /proc/$pid/cwd/RELEASE.sha256)' \
  'grep -h commit /proc/$pid/cwd/RELEASE.json || true')

# restart_all <expected sha256>
restart_all() {
  local expected=$1 instances instance output running commit
  instances=$(in_service_instances "$group") || return 1
  [ -n "$instances" ] || { echo "rollout: no instance in service in $group" >&2; return 1; }
  # one at a time, each back in service before the next: the others keep serving meanwhile
  for instance in $instances; do
    if ! run_on_instance "$instance" "review assistant rollout" "$restart_parameters"; then
      echo "rollout: restart on $instance failed" >&2
      return 1
    fi
    output=$(aws ssm get-command-invocation --command-id "$command" --instance-id "$instance" \
      --query StandardOutputContent --output text)
    running=$(printf '%s\n' "$output" | sed -n 's/^running-release-sha256=\([0-9a-f]\{64\}\)$/\1/p' | tail -n 1)
    if [ "$running" != "$expected" ]; then
      echo "rollout: $instance restarted but runs release ${running:-unknown}, not $expected" >&2
      return 1
    fi
    commit=$(printf '%s\n' "$output" | sed -n 's/.*"commit": *"\([^"]*\)".*/\1/p' | tail -n 1)
    echo "rollout: restarted the gateway on $instance; it runs release $running (commit ${commit:-unknown})"
    if ! wait_instance_ready "$instance"; then
      echo "rollout: the gateway on $instance did not become ready after the restart" >&2
      return 1
    fi
  done
}

if restart_all "$release_sha256" && gate_url "$gateway_url"; then
  echo "rollout: $gateway_url is ready on the new release"
  exit 0
fi

echo "rollout: the new release failed its gate" >&2
if [ -z "$previous" ]; then
  echo "rollout: no previous release to roll back to" >&2
  exit 1
fi
aws s3api copy-object --bucket "$bucket" --key "$key" --copy-source "$bucket/$key?versionId=$previous" >/dev/null
# the digest the instances must report after the rollback
previous_file=$(mktemp)
trap 'rm -f "$previous_file"' EXIT
aws s3api get-object --bucket "$bucket" --key "$key" --version-id "$previous" "$previous_file" >/dev/null
previous_sha256=$(sha256sum "$previous_file" | cut -d' ' -f1)
echo "rollout: restored version $previous (sha256 $previous_sha256) as the current release; restarting" >&2
if restart_all "$previous_sha256" && gate_url "$gateway_url"; then
  echo "rollout: rolled back; $gateway_url is ready on the previous release" >&2
else
  echo "rollout: rollback did not pass the gate either; look at the instances (docs/DEPLOY.md)" >&2
fi
exit 1
