import { GATEWAY_NODE_OPTIONS } from '@review-assistant/shared';
import type { IngressMode } from './stack-config.js';

/** Everything the boot script needs to know. Values may be CDK tokens (resolved at deploy time). */
export interface GatewayBootOptions {
  region: string;
  bucketName: string;
  releaseKey: string;
  intentModelKey: string;
  tableName: string;
  logGroupName: string;
  /** CloudWatch namespace of the agent's metrics (the role may only write there). */
  metricsNamespace: string;
  /** Full SSM parameter names; the last path segment is the environment variable's name. */
  secretParameters: { required: string[]; optional: string[] };
  ingress: IngressMode;
  /** Address and port the gateway process binds. */
  host: string;
  port: number;
  workerUrls: string;
  /** Elastic IP allocation to attach to this instance at boot. */
  elasticIpAllocationId?: string;
  /** Only for ingress `caddy`. */
  domainName?: string;
  /**
   * Header in which the edge in front of the gateway (CloudFront, the ALB) reports the viewer's
   * protocol; unset for direct and Caddy ingress, where the gateway sees the TLS proxy on loopback.
   */
  forwardedProtoHeader?: string;
  /** Table of the shared worker registry (load-balanced mode). */
  workerRegistryTable?: string;
  caddyVersion: string;
}

/** Where things live on the instance, under `root` (empty on the instance; a temp dir in tests). */
export function instancePaths(root = '') {
  return {
    home: `${root}/opt/review-assistant`,
    release: `${root}/opt/review-assistant/release`,
    prepareScript: `${root}/opt/review-assistant/bin/prepare-gateway.sh`,
    environmentFile: `${root}/etc/review-assistant/gateway.env`,
    secretsFile: `${root}/run/review-assistant/secrets.env`,
    dataDir: `${root}/var/lib/review-assistant`,
    logDir: `${root}/var/log/review-assistant`,
    gatewayLog: `${root}/var/log/review-assistant/gateway.log`,
    caddyLog: `${root}/var/log/review-assistant/caddy.log`,
    caddyDir: `${root}/etc/caddy`,
    systemdDir: `${root}/etc/systemd/system`,
    logrotateDir: `${root}/etc/logrotate.d`,
    gatewayUnit: 'review-assistant-gateway.service',
    agentConfig: `${root}/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json`,
    agentControl: `${root}/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl`,
  };
}
export type InstancePaths = ReturnType<typeof instancePaths>;

/** Where things live on the instance (also used by docs and tests). */
export const INSTANCE_PATHS: InstancePaths = instancePaths();

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/'));

/**
 * The systemd unit of the gateway. Secrets are fetched by a privileged `ExecStartPre` into a
 * root-only file under /run (tmpfs) that systemd itself reads; the Node process gets them as
 * environment variables but cannot read the file, and they never appear in user data.
 */
export function renderGatewayUnit(options: Pick<GatewayBootOptions, 'ingress' | 'port'>, paths: InstancePaths = INSTANCE_PATHS): string {
  const bindsPrivilegedPort = options.port < 1024;
  const capabilities = bindsPrivilegedPort
    ? ['AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE']
    : ['CapabilityBoundingSet='];
  return [
    '[Unit]',
    'Description=Review assistant cloud gateway',
    'Wants=network-online.target',
    'After=network-online.target',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    'User=gateway',
    'Group=gateway',
    // "-": the release directory does not exist until the first ExecStartPre has fetched it.
    `WorkingDirectory=-${paths.release}`,
    `EnvironmentFile=${paths.environmentFile}`,
    // Environment files are read right before each process starts, so ExecStart sees the file
    // that ExecStartPre wrote (systemd.exec(5), EnvironmentFile=).
    `EnvironmentFile=-${paths.secretsFile}`,
    `ExecStartPre=+${paths.prepareScript}`,
    `ExecStart=/usr/bin/node-22 ${paths.release}/cloud-gateway/dist/server.js`,
    'Restart=always',
    'RestartSec=10',
    'TimeoutStopSec=20',
    'RuntimeDirectory=review-assistant',
    'RuntimeDirectoryMode=0750',
    'StateDirectory=review-assistant',
    'StateDirectoryMode=0750',
    `StandardOutput=append:${paths.gatewayLog}`,
    'StandardError=inherit',
    'MemoryHigh=384M',
    'MemoryMax=512M',
    'LimitNOFILE=65536',
    ...capabilities,
    'NoNewPrivileges=true',
    'ProtectSystem=strict',
    'ProtectHome=true',
    'PrivateTmp=true',
    'PrivateDevices=true',
    'ProtectKernelTunables=true',
    'ProtectKernelModules=true',
    'ProtectControlGroups=true',
    'RestrictSUIDSGID=true',
    'LockPersonality=true',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** Non-secret environment of the gateway (systemd EnvironmentFile syntax). */
export function renderGatewayEnvironment(options: GatewayBootOptions, paths: InstancePaths = INSTANCE_PATHS): string {
  const entries: [string, string][] = [
    ['NODE_ENV', 'production'],
    // the production Node flags (heap caps, --expose-gc for the start-up collection): shared/src/gateway-node-flags.ts
    ['NODE_OPTIONS', GATEWAY_NODE_OPTIONS],
    ['HOST', options.host],
    ['PORT', String(options.port)],
    ['DATA_DIR', paths.dataDir],
    ['AWS_REGION', options.region],
    ['LOG_STORE', 'dynamodb'],
    ['LOG_TABLE', options.tableName],
    ['INTENT_MODEL_URI', `s3://${options.bucketName}/${options.intentModelKey}`],
    ['WORKER_URLS', options.workerUrls],
    // Behind Caddy or the ALB the socket peer is the proxy; the client is the last X-Forwarded-For
    // entry (the proxy appends it), which the per-IP rate limit must use.
    ['TRUST_PROXY', String(options.ingress !== 'direct')],
    // metrics as CloudWatch Embedded Metric Format lines in gateway.log, shipped by the agent
    ['CLOUDWATCH_EMF', 'true'],
    // admin and API-key routes only over HTTPS (as the edge reports it; loopback exempt)
    ['REQUIRE_HTTPS', String(options.ingress !== 'direct')],
  ];
  if (options.forwardedProtoHeader) entries.push(['FORWARDED_PROTO_HEADER', options.forwardedProtoHeader]);
  if (options.workerRegistryTable) entries.push(['WORKER_REGISTRY', 'dynamodb'], ['WORKER_REGISTRY_TABLE', options.workerRegistryTable]);
  return entries.map(([name, value]) => `${name}=${value}`).join('\n') + '\n';
}

/** CloudWatch agent configuration: the gateway's log files and memory/disk usage. */
export function renderAgentConfig(options: GatewayBootOptions, paths: InstancePaths = INSTANCE_PATHS): string {
  const file = (path: string, stream: string) => ({
    file_path: path,
    log_group_name: options.logGroupName,
    log_stream_name: `{instance_id}/${stream}`,
  });
  const files = [file(paths.gatewayLog, 'gateway'), file('/var/log/cloud-init-output.log', 'bootstrap')];
  if (options.ingress === 'caddy') files.push(file(paths.caddyLog, 'caddy'));
  const config = {
    // Without the hostname dimension the memory metric keeps one name across instance
    // replacements, so a single alarm follows whichever instance the group is running.
    agent: { metrics_collection_interval: 60, omit_hostname: true },
    metrics: {
      namespace: options.metricsNamespace,
      metrics_collected: {
        mem: { measurement: ['mem_used_percent'] },
        disk: { measurement: ['used_percent'], resources: ['/'], drop_device: true },
      },
    },
    logs: { logs_collected: { files: { collect_list: files } } },
  };
  return JSON.stringify(config, null, 2) + '\n';
}

/**
 * File in the installed release directory holding the SHA-256 of the tarball it was unpacked from
 * (written by the prepare script). `infra/scripts/rollout.sh` reads it through the running gateway
 * process's working directory to check that the release it uploaded is the one running.
 */
export const RELEASE_MARKER_FILE = 'RELEASE.sha256';

/** Script run before every gateway start: fetch the release and the secrets. */
export function renderPrepareScript(
  options: GatewayBootOptions,
  paths: Pick<InstancePaths, 'release' | 'secretsFile'> = INSTANCE_PATHS,
): string {
  const quoteAll = (names: string[]) => names.map((name) => `'${name}'`).join(' ');
  return `#!/bin/bash
# Runs as root before every start of the gateway (ExecStartPre=+). Never enable "set -x" here:
# it would print the secrets into the journal.
set -euo pipefail
REGION='${options.region}'
RELEASE_URI='s3://${options.bucketName}/${options.releaseKey}'
RELEASE_DIR='${paths.release}'
SECRETS_FILE='${paths.secretsFile}'
REQUIRED_PARAMETERS=(${quoteAll(options.secretParameters.required)})
OPTIONAL_PARAMETERS=(${quoteAll(options.secretParameters.optional)})

fetch_release() {
  local download
  download=$(mktemp -d)
  if aws s3 cp "$RELEASE_URI" "$download/release.tgz" --region "$REGION" --only-show-errors; then
    rm -rf "$RELEASE_DIR.next" && mkdir -p "$RELEASE_DIR.next"
    tar -xzf "$download/release.tgz" -C "$RELEASE_DIR.next" --no-same-owner
    # root owns the code, the gateway user may only read it (the tarball's own modes may be 0700)
    chmod -R u=rwX,go=rX "$RELEASE_DIR.next"
    if [ ! -f "$RELEASE_DIR.next/cloud-gateway/dist/server.js" ]; then
      echo "prepare: $RELEASE_URI has no cloud-gateway/dist/server.js; not installing it" >&2
      rm -rf "$RELEASE_DIR.next" "$download"
      [ -f "$RELEASE_DIR/cloud-gateway/dist/server.js" ] || exit 1
      return 0
    fi
    # the release's identity, which infra/scripts/rollout.sh reads back from the running process
    sha256sum "$download/release.tgz" | cut -d' ' -f1 > "$RELEASE_DIR.next/${RELEASE_MARKER_FILE}"
    rm -rf "$RELEASE_DIR.previous"
    if [ -d "$RELEASE_DIR" ]; then mv "$RELEASE_DIR" "$RELEASE_DIR.previous"; fi
    mv "$RELEASE_DIR.next" "$RELEASE_DIR"
    echo "prepare: installed $RELEASE_URI"
  elif [ -f "$RELEASE_DIR/cloud-gateway/dist/server.js" ]; then
    echo "prepare: could not download $RELEASE_URI; starting the release already installed" >&2
  else
    echo "prepare: no gateway release at $RELEASE_URI yet; upload one (docs/DEPLOY.md). Retrying." >&2
    rm -rf "$download"
    exit 1
  fi
  rm -rf "$download"
}

fetch_secrets() {
  local listing name value
  listing=$(aws ssm get-parameters --region "$REGION" --with-decryption \\
    --names "\${REQUIRED_PARAMETERS[@]}" "\${OPTIONAL_PARAMETERS[@]}" \\
    --query 'Parameters[*].[Name,Value]' --output text)
  umask 077
  : > "$SECRETS_FILE.next"
  while IFS=$'\\t' read -r name value; do
    [ -n "$name" ] || continue
    printf '%s=%s\\n' "\${name##*/}" "$value" >> "$SECRETS_FILE.next"
  done <<< "$listing"
  for name in "\${REQUIRED_PARAMETERS[@]}"; do
    if ! grep -q "^\${name##*/}=" "$SECRETS_FILE.next"; then
      echo "prepare: parameter $name is missing; create it (docs/DEPLOY.md, step 2). Retrying." >&2
      rm -f "$SECRETS_FILE.next"
      exit 1
    fi
  done
  mv "$SECRETS_FILE.next" "$SECRETS_FILE"
}

fetch_release
fetch_secrets
`;
}

function renderCaddyInstall(options: GatewayBootOptions, paths: InstancePaths): string {
  const version = options.caddyVersion;
  const archive = `caddy_${version}_linux_amd64.tar.gz`;
  const base = `https://github.com/caddyserver/caddy/releases/download/v${version}`;
  return `
# --- Caddy: HTTPS with Let's Encrypt in front of the gateway (no ALB) ---
caddy_download=$(mktemp -d)
retry curl -fsSL -o "$caddy_download/${archive}" '${base}/${archive}'
retry curl -fsSL -o "$caddy_download/checksums.txt" '${base}/caddy_${version}_checksums.txt'
expected=$(awk '$2 == "${archive}" { print $1 }' "$caddy_download/checksums.txt")
actual=$(sha512sum "$caddy_download/${archive}" | cut -d' ' -f1)
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "bootstrap: Caddy ${version} checksum mismatch" >&2
  exit 1
fi
tar -xzf "$caddy_download/${archive}" -C "$caddy_download" caddy
install -m 0755 "$caddy_download/caddy" /usr/local/bin/caddy
rm -rf "$caddy_download"
id caddy >/dev/null 2>&1 || useradd --system --home-dir /var/lib/caddy --shell /sbin/nologin caddy
mkdir -p ${paths.caddyDir}
cat > ${paths.caddyDir}/Caddyfile <<'CADDYFILE'
{
	# no admin API: nothing on the instance may reconfigure the proxy through localhost:2019
	admin off
}

${options.domainName ?? 'localhost'} {
	reverse_proxy 127.0.0.1:${options.port} {
		# stream chat events as they arrive
		flush_interval -1
	}
}
CADDYFILE
cat > ${paths.systemdDir}/caddy.service <<'UNIT'
[Unit]
Description=Caddy (TLS termination for the review assistant gateway)
Wants=network-online.target
After=network-online.target

[Service]
User=caddy
Group=caddy
Environment=XDG_DATA_HOME=/var/lib XDG_CONFIG_HOME=/var/lib/caddy/.config
ExecStart=/usr/local/bin/caddy run --environ=false --config ${paths.caddyDir}/Caddyfile --adapter caddyfile
StateDirectory=caddy
StandardOutput=append:${paths.caddyLog}
StandardError=inherit
Restart=on-failure
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT
`;
}

/**
 * The instance's boot script (user data, run once by cloud-init as root on Amazon Linux 2023).
 * It installs Node 22, writes the gateway's unit, environment and fetch script, configures the
 * CloudWatch agent and starts everything. Contains no secret.
 */
export function renderBootScript(options: GatewayBootOptions, paths: InstancePaths = INSTANCE_PATHS): string {
  const attachAddress = options.elasticIpAllocationId
    ? `
# --- Fixed public address: re-attach the stack's Elastic IP to whichever instance is running ---
imds_token=$(curl -fsS -X PUT 'http://169.254.169.254/latest/api/token' -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance_id=$(curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" 'http://169.254.169.254/latest/meta-data/instance-id')
retry aws ec2 associate-address --region '${options.region}' --allocation-id '${options.elasticIpAllocationId}' --instance-id "$instance_id" --allow-reassociation
sleep 5
`
    : '';
  return `set -euo pipefail
retry() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if "$@"; then return 0; fi
    echo "bootstrap: attempt $attempt of '$1' failed; retrying" >&2
    sleep $((attempt * 5))
  done
  return 1
}
${attachAddress}
# --- Packages: Node.js 22 (namespaced as node-22 on AL2023), CloudWatch agent, logrotate ---
retry dnf install -y nodejs22 amazon-cloudwatch-agent logrotate

id gateway >/dev/null 2>&1 || useradd --system --home-dir ${paths.home} --shell /sbin/nologin gateway
mkdir -p ${paths.home}/bin ${parentOf(paths.environmentFile)} ${paths.logDir} ${paths.systemdDir} ${paths.logrotateDir} ${parentOf(paths.agentConfig)}
chmod 0755 ${paths.logDir}

cat > ${paths.environmentFile} <<'ENVIRONMENT'
${renderGatewayEnvironment(options, paths)}ENVIRONMENT
# root only: systemd reads it for the service (the secrets, the edge secret among them, come from
# SSM at every start into a separate file under /run)
chmod 0600 ${paths.environmentFile}

cat > ${paths.prepareScript} <<'PREPARE'
${renderPrepareScript(options, paths)}PREPARE
chmod 0700 ${paths.prepareScript}

cat > ${paths.systemdDir}/${paths.gatewayUnit} <<'UNIT'
${renderGatewayUnit(options, paths)}UNIT

cat > ${paths.logrotateDir}/review-assistant <<'LOGROTATE'
${paths.logDir}/*.log {
    daily
    rotate 5
    maxsize 50M
    missingok
    notifempty
    compress
    copytruncate
}
LOGROTATE
${options.ingress === 'caddy' ? renderCaddyInstall(options, paths) : ''}
# --- CloudWatch agent: ship the logs above, publish memory and disk usage ---
cat > ${paths.agentConfig} <<'AGENT'
${renderAgentConfig(options, paths)}AGENT
${paths.agentControl} -a fetch-config -m ec2 -s -c file:${paths.agentConfig}

systemctl daemon-reload
systemctl enable --now logrotate.timer
# --no-block: without a release in the bucket yet the gateway keeps retrying; boot goes on
systemctl enable ${paths.gatewayUnit}
systemctl start --no-block ${paths.gatewayUnit}
${options.ingress === 'caddy' ? 'systemctl enable --now caddy.service\n' : ''}echo "bootstrap: done"
`;
}
