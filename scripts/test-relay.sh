#!/usr/bin/env bash
# Broker relay tests against a real RabbitMQ (issue 8): starts RabbitMQ through
# scripts/rabbitmq.sh, runs the relay tests (two stomp-server nodes per test on 127.0.0.1:0),
# then the restart test, which stops and starts RabbitMQ. The tests are built only with the
# `relay-tests` feature and FAIL when the broker is unreachable. Needs root (RabbitMQ control).
# Leaves RabbitMQ running (the restart test starts it again).
set -euo pipefail
cd "$(dirname "$0")/.."

export STOMP_RELAY_TEST_BROKER="${STOMP_RELAY_TEST_BROKER:-127.0.0.1:61613}"
bash scripts/rabbitmq.sh start
cargo test -p stomp-server --features relay-tests --test relay
# Alone: it stops the broker every other relay test uses.
cargo test -p stomp-server --features relay-tests --test relay_restart
bash scripts/rabbitmq.sh status >/dev/null
