#!/usr/bin/env bash
# RabbitMQ with STOMP and Web-STOMP on loopback: the real broker our interop tests and
# benchmarks compare against. Idempotent; needs root; no systemd (the broker runs detached).
#
#   scripts/rabbitmq.sh install   apt-get install rabbitmq-server, enable the STOMP plugins,
#                                 write /etc/rabbitmq/rabbitmq.conf (127.0.0.1 only)
#   scripts/rabbitmq.sh start     start the broker (no-op when it already answers)
#   scripts/rabbitmq.sh stop      stop it (no-op when it is not running)
#   scripts/rabbitmq.sh status    exit 0 when it is up, print its listeners
#   scripts/rabbitmq.sh pid       print the broker's OS pid (the beam.smp process)
#
# Endpoints once started: STOMP over TCP 127.0.0.1:61613, STOMP over TLS 127.0.0.1:61614 (a
# certificate for localhost/127.0.0.1 from a CA made at install, /etc/rabbitmq/tls/ca.pem),
# Web-STOMP ws://127.0.0.1:15674/ws,
# management-less (15672 stays closed unless the management plugin is enabled; if it is, it is
# bound to loopback too). Login guest/guest, CONNECT host `/` (the vhost).
set -euo pipefail

CONF=/etc/rabbitmq/rabbitmq.conf
ENABLED_PLUGINS=/etc/rabbitmq/enabled_plugins
TLS_DIR=/etc/rabbitmq/tls
PORTS=(61613 61614 15672 15674 5672 25672 4369)

log() { printf '\033[1;35m[rabbitmq]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root"; }

# The config we want, byte for byte, so `install` can tell whether it changed.
desired_conf() {
  cat <<'EOF'
# Written by stomp-wasm scripts/rabbitmq.sh: loopback only, for tests and benchmarks.
listeners.tcp.default = 127.0.0.1:5672
loopback_users = none
stomp.listeners.tcp.1 = 127.0.0.1:61613
stomp.listeners.ssl.1 = 127.0.0.1:61614
ssl_options.cacertfile = /etc/rabbitmq/tls/ca.pem
ssl_options.certfile = /etc/rabbitmq/tls/server.pem
ssl_options.keyfile = /etc/rabbitmq/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
stomp.default_vhost = /
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = 15674
web_stomp.ws_frame = binary
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
distribution.listener.interface = 127.0.0.1
EOF
}

# A test CA and a server certificate for localhost and 127.0.0.1 (made once; again when they
# expire within 30 days), for the STOMP over TLS listener. Sets `changed` when it made them.
tls_files() {
  if [ -s "$TLS_DIR/server.pem" ] && [ -s "$TLS_DIR/server.key" ] && [ -s "$TLS_DIR/ca.pem" ] &&
    openssl x509 -checkend $((30 * 24 * 3600)) -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1; then
    return
  fi
  log "making a test CA and a localhost certificate in $TLS_DIR"
  mkdir -p "$TLS_DIR"
  local work
  work=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=stomp-wasm test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$work/ext"
  openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -days 825 -extfile "$work/ext" -out "$work/server.pem" 2>/dev/null
  command install -m 644 "$work/ca.pem" "$TLS_DIR/ca.pem"
  command install -m 644 "$work/server.pem" "$TLS_DIR/server.pem"
  command install -m 640 -g rabbitmq "$work/server.key" "$TLS_DIR/server.key"
  rm -rf "$work"
  changed=1
}

install() {
  need_root
  local changed=0
  if ! command -v rabbitmq-server >/dev/null; then
    log "installing rabbitmq-server (apt)"
    if ! apt-cache show rabbitmq-server >/dev/null 2>&1; then
      apt-get update -qq
    fi
    # The package's postinst tries to start the service; with no systemd that fails harmlessly,
    # but an invoke-rc.d policy that forbids it keeps the install quiet and the port free.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod +x "$policy"
      created_policy=1
    fi
    # epmd must not listen on 0.0.0.0 either.
    export ERL_EPMD_ADDRESS=127.0.0.1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    [ "$created_policy" = 1 ] && rm -f "$policy"
  fi

  command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  mkdir -p /etc/rabbitmq
  tls_files
  if ! cmp -s <(desired_conf) "$CONF" 2>/dev/null; then
    log "writing $CONF"
    desired_conf >"$CONF"
    changed=1
  fi
  # env file: epmd on loopback, node name on localhost.
  local env=/etc/rabbitmq/rabbitmq-env.conf
  local want_env=$'# Written by stomp-wasm scripts/rabbitmq.sh\nNODENAME=rabbit@localhost\nNODE_IP_ADDRESS=127.0.0.1\nexport ERL_EPMD_ADDRESS=127.0.0.1'
  if [ "$(cat "$env" 2>/dev/null)" != "$want_env" ]; then
    log "writing $env"
    printf '%s\n' "$want_env" >"$env"
  fi

  # The broker is started through `su rabbitmq`, whose pam_limits resets the open-file limit to
  # 1024: too few for the 10,000 idle connections of the benchmark.
  local limits=/etc/security/limits.d/rabbitmq-stomp-wasm.conf
  local want_limits=$'rabbitmq soft nofile 20000\nrabbitmq hard nofile 20000'
  if [ "$(cat "$limits" 2>/dev/null)" != "$want_limits" ]; then
    log "writing $limits"
    mkdir -p /etc/security/limits.d
    printf '%s\n' "$want_limits" >"$limits"
  fi

  if ! grep -q rabbitmq_web_stomp "$ENABLED_PLUGINS" 2>/dev/null; then
    log "enabling rabbitmq_stomp rabbitmq_web_stomp (offline)"
    rabbitmq-plugins enable --offline rabbitmq_stomp rabbitmq_web_stomp >/dev/null
  fi
  # A broker started before the change would keep serving the old settings.
  if [ "$changed" = 1 ] && running; then
    log "settings changed: restarting"
    stop
    start
  fi
  log "installed: $(dpkg-query -W -f='${Version}' rabbitmq-server)"
}

running() {
  rabbitmq-diagnostics -q ping >/dev/null 2>&1
}

start() {
  need_root
  command -v rabbitmq-server >/dev/null || die "not installed: run '$0 install' first"
  export ERL_EPMD_ADDRESS=127.0.0.1
  if running; then
    log "already running"
  else
    log "starting (rabbitmq-server -detached)"
    rabbitmq-server -detached
  fi
  # await_startup needs the node to exist: right after -detached it does not yet, so retry.
  local deadline=$((SECONDS + 120))
  until rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "did not start in 120 s (see /var/log/rabbitmq/)"
    sleep 1
  done
  check_loopback
  log "up: STOMP tcp 127.0.0.1:61613, STOMP tls 127.0.0.1:61614, Web-STOMP ws://127.0.0.1:15674/ws"
}

stop() {
  need_root
  if command -v rabbitmqctl >/dev/null && running; then
    log "stopping"
    rabbitmqctl -q stop >/dev/null
  else
    log "not running"
  fi
  # epmd is left by the broker; it was started by us, on loopback. Stop it too.
  if command -v epmd >/dev/null && epmd -names >/dev/null 2>&1; then
    epmd -kill >/dev/null 2>&1 || true
  fi
}

# Every port the broker opened must be on 127.0.0.1 (or ::1).
check_loopback() {
  local bad=0 port line
  for port in "${PORTS[@]}"; do
    while read -r line; do
      [ -n "$line" ] || continue
      case "$line" in
        127.0.0.1:* | "[::1]:"*) ;;
        *)
          log "port $port listens on $line (not loopback)"
          bad=1
          ;;
      esac
    done < <(ss -Hltn "sport = :$port" | awk '{print $4}')
  done
  [ "$bad" = 0 ] || die "a RabbitMQ port is reachable from outside loopback"
}

status() {
  if command -v rabbitmqctl >/dev/null && running; then
    ss -Hltn | awk '{print $4}' | grep -E ":(61613|61614|15672|15674|5672|25672|4369)$" | sort
    return 0
  fi
  log "not running"
  return 1
}

pid() {
  # The Erlang VM (beam.smp) of the rabbit node: the process whose RSS grows with connections.
  local p
  p=$(rabbitmqctl -q eval 'list_to_integer(os:getpid()).' 2>/dev/null | tr -d '[:space:]')
  [ -n "$p" ] || die "not running"
  echo "$p"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  pid) pid ;;
  *)
    echo "usage: $0 install|start|stop|status|pid" >&2
    exit 2
    ;;
esac
