#!/usr/bin/env bash
# Sets up the machine, builds karstd and the karst CLI into bin/, and runs a local cluster with
# `bin/karst cluster up` (default: 3 combined nodes on 127.0.0.11-13, Kafka on port 9092, admin
# HTTP with /metrics and /healthz on 9644, data under ./.karst). It prints the bootstrap servers
# and stays in the foreground until Ctrl-C. Arguments go to `karst cluster up`, e.g.
# `--nodes 1`, `--controllers 3 --brokers 3`, `--detach` (then `bin/karst cluster down`).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
# Optimized binaries (-O2): a cluster people run and benchmark; the tests use Bazel's default
# fastbuild. The first build takes a while on a small machine; later ones come from the disk
# cache.
bazel build --config=release //broker:karstd //client/cli:karst
mkdir -p bin
# bazel-bin follows the last build's configuration, so ask for the release outputs by path.
release_bin="$(bazel info --config=release bazel-bin 2>/dev/null)"
install -m 755 "$release_bin/broker/main/karstd" bin/karstd
# bin/karst finds bin/karstd beside it.
install -m 755 "$release_bin/client/cli/karst" bin/karst
if [[ " $* " != *" --nodes "* && " $* " != *" --brokers "* && ! -d .karst ]]; then
  set -- --nodes 3 "$@"
fi
exec bin/karst cluster up "$@"
