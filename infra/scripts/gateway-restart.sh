# Sourced by infra/scripts/rollout.sh, edge-secret.sh and restart-gateways.sh (not run on its own):
# restarts the gateway on one instance with SSM Run Command and waits until that instance serves
# again, so that the next instance is restarted only while another one is ready (mode=ha: the load
# balancer always has a healthy target; `aws ssm wait command-executed` returns as soon as
# `systemctl restart` returns, before the intent model is loaded and /readyz passes).
# The caller sets: stack, and GATE_TIMEOUT_SECONDS / GATE_INTERVAL_SECONDS (defaults 300 / 5).
# Needs the AWS CLI v2 and curl.

gate_timeout=${GATE_TIMEOUT_SECONDS:-300}
gate_interval=${GATE_INTERVAL_SECONDS:-5}
unit=review-assistant-gateway.service

# stack_output <key>: one output of the stack, empty when the stack has no such output
stack_output() {
  local value
  value=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text) || return 1
  [ "$value" = None ] && value=
  printf '%s\n' "$value"
}

# in_service_instances <group>: the ids of the group's instances in service (none: empty)
in_service_instances() {
  local instances
  instances=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$1" \
    --query "AutoScalingGroups[0].Instances[?LifecycleState=='InService'].InstanceId" --output text) || return 1
  [ "$instances" = None ] && instances=
  printf '%s\n' "$instances"
}

# gate_url <url>: <url>/readyz answers 200 three times in a row within gate_timeout seconds
gate_url() {
  local deadline healthy=0
  deadline=$((SECONDS + gate_timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fsS -o /dev/null --max-time 10 "$1/readyz"; then
      healthy=$((healthy + 1))
      [ "$healthy" -ge 3 ] && return 0
    else
      healthy=0
    fi
    sleep "$gate_interval"
  done
  return 1
}

# json_commands <line>...: AWS-RunShellScript parameters {"commands":[...]} (the lines JSON-escaped)
json_commands() {
  local line out=
  for line in "$@"; do
    line=${line//\\/\\\\}
    line=${line//\"/\\\"}
    out+="${out:+,}\"$line\""
  done
  printf '{"commands":[%s]}' "$out"
}

# Run Command lines (one shell script on the instance, hence set -e): restart the gateway, then wait
# until its own /readyz answers 200 on loopback (the port of its environment file), at most
# gate_timeout seconds, so that the command succeeds only once the gateway is ready (intent model
# loaded). Callers may append lines.
restart_lines=(
  'set -e'
  "systemctl restart $unit"
  "port=\$(sed -n 's/^PORT=//p' /etc/review-assistant/gateway.env 2>/dev/null | tail -n 1)"
  "timeout $gate_timeout sh -c \"until curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:\${port:-8080}/readyz; do sleep 2; done\""
)

# run_on_instance <instance> <comment> <Run Command parameters JSON>: sends the command, waits for
# it to end successfully and sets `command` to its id (for get-command-invocation)
run_on_instance() {
  local deadline status
  deadline=$((SECONDS + gate_timeout + 60))
  command=$(aws ssm send-command --instance-ids "$1" --document-name AWS-RunShellScript \
    --comment "$2" --parameters "$3" --query Command.CommandId --output text) || return 1
  # the CLI's waiter gives up after 100 s, also while the command still runs (the readiness wait)
  until aws ssm wait command-executed --command-id "$command" --instance-id "$1"; do
    status=$(aws ssm get-command-invocation --command-id "$command" --instance-id "$1" --query Status --output text) || return 1
    case "$status" in
      Pending | InProgress | Delayed) [ "$SECONDS" -lt "$deadline" ] || return 1 ;;
      *)
        echo "command $command on $1: $status" >&2
        return 1
        ;;
    esac
  done
}

# wait_instance_ready <instance>: after restart_lines, with a load balancer (output TargetGroupArn,
# mode=ha) until the instance is a healthy target (the same /readyz health check, seen by the load
# balancer), else (one instance) until <GatewayUrl>/readyz passes the gate. Fails when it does not.
wait_instance_ready() {
  local target_group url
  target_group=$(stack_output TargetGroupArn) || return 1
  if [ -n "$target_group" ]; then
    # the CLI's waiter polls every 15 s, 40 times (10 minutes), and exits 255 when it gives up
    aws elbv2 wait target-in-service --target-group-arn "$target_group" --targets "Id=$1"
  else
    url=$(stack_output GatewayUrl) || return 1
    gate_url "$url"
  fi
}

# restart_every_gateway <name> <comment> <when none>: restarts the gateway on every instance in
# service, one at a time; each must serve again (wait_instance_ready) before the next one restarts.
# <name> prefixes the messages, <comment> is the Run Command comment, <when none> is said when no
# instance is in service. Fails at the first instance that does not come back (the others untouched).
restart_every_gateway() {
  local name=$1 comment=$2 none=$3 group instances instance
  group=$(stack_output AutoScalingGroupName) || return 1
  instances=$(in_service_instances "$group") || return 1
  if [ -z "$instances" ]; then
    echo "$name: no instance in service in $group; $none"
    return 0
  fi
  for instance in $instances; do
    run_on_instance "$instance" "$comment" "$(json_commands "${restart_lines[@]}")" \
      || { echo "$name: restarting the gateway on $instance failed" >&2; return 1; }
    echo "$name: restarted the gateway on $instance"
    wait_instance_ready "$instance" \
      || { echo "$name: the gateway on $instance did not become ready after the restart; stopping (the other instances were not restarted)" >&2; return 1; }
    echo "$name: the gateway on $instance is ready"
  done
}
