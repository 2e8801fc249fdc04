#!/usr/bin/env bash
# Installs every Debian package Karst needs to build, test and run, idempotently.
# When everything is already installed it only runs dpkg-query and exits (well under a second).
# `tools/setup.sh --build-only` installs only what `bazel build` needs (the Docker image's build
# stage, deploy/docker/Dockerfile): no test clients, fuzzer, Docker or kafkajs.
set -euo pipefail

BUILD_ONLY=0
if [[ "${1:-}" == "--build-only" ]]; then BUILD_ONLY=1; fi

BUILD_PACKAGES=(
  # Build: Bazel (Debian's bootstrap build) and the rules it loads offline.
  bazel-bootstrap bazel-platforms bazel-skylib
  g++ pkg-config git python3
  # Control plane and storage libraries.
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libabsl-dev librocksdb-dev
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev
  libasio-dev libssl-dev zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
)
PACKAGES=(
  "${BUILD_PACKAGES[@]}"
  clang-format
  # The protocol fuzzer (tools/fuzz.sh): clang with libFuzzer and the sanitizers.
  clang libclang-rt-14-dev
  # Tests: real clients, link cutting, HTTP probes.
  kcat python3-confluent-kafka python3-kafka nftables curl procps iproute2
  # Codecs kafka-python needs to build the golden record batches (tools/capture) and to
  # produce compressed records (tests/compat/karstd_clients_test).
  python3-snappy python3-lz4 python3-zstandard
  # More real clients for tests/compat/karstd_clients_test: sarama built offline from
  # /usr/share/gocode, and node for kafkajs (tests/compat/js, installed with npm below).
  golang-go golang-github-shopify-sarama-dev nodejs coreutils
  # deploy/ and its test (tests/deploy): a Docker engine and compose, debootstrap for the base
  # image where no registry is reachable, Prometheus and promtool, kubectl's offline checks.
  docker.io docker-compose debootstrap prometheus python3-yaml
)
if ((BUILD_ONLY)); then PACKAGES=("${BUILD_PACKAGES[@]}"); fi
# Debian's nodejs has no npm; a nodejs that bundles npm (NodeSource's) conflicts with the npm
# package, so ask for it only when no npm is on PATH.
if ((!BUILD_ONLY)) && ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# kafkajs for tests/compat/karstd_clients_test, pinned by tests/compat/js/package-lock.json;
# skipped when already installed, so a machine that has it needs no network.
install_kafkajs() {
  if ((BUILD_ONLY)); then return 0; fi
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/compat/js"
  if [[ -f "$dir/node_modules/kafkajs/package.json" ]]; then return 0; fi
  echo "setup: installing kafkajs into $dir/node_modules" >&2
  (cd "$dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
}

if ((${#missing[@]} == 0)); then
  install_kafkajs
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they were never fetched on this machine.
if [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]]; then
  $SUDO apt-get update -qq
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  # Stale lists (a mirror moved on): refresh once and try again.
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
install_kafkajs
