#!/usr/bin/env bash
# Sets up the machine, builds karstd and the karst CLI into bin/, and runs a local combined node
# (broker and controller) with deploy/local/server.properties: Kafka on 127.0.0.1:9092, admin
# HTTP on 127.0.0.1:9644 (/metrics, /healthz), data under var/local/. Ctrl-C stops it.
# Extra arguments go to karstd (e.g. --override logger.level=debug).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
bazel build //broker:karstd //client/cli:karst
mkdir -p bin var/local/node-1
install -m 755 bazel-bin/broker/main/karstd bin/karstd
# bin/karst finds bin/karstd beside it (`bin/karst cluster up --nodes 3` for a local cluster).
install -m 755 bazel-bin/client/cli/karst bin/karst
exec bin/karstd --config deploy/local/server.properties "$@"
