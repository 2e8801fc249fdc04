#!/usr/bin/env bash
# Builds Karst's server image (deploy/docker/Dockerfile) and tags it karst:latest.
#
#   deploy/docker/build.sh              compile inside Docker (target runtime; slow, cold cache)
#   deploy/docker/build.sh --prebuilt   copy host-built release binaries (Dockerfile.prebuilt):
#                                       runs `bazel build --config=release` here first, which
#                                       reuses ~/.cache/karst/bazel-disk
# Options: --tag NAME (default karst:latest). KARST_DEPLOY_BAZEL_CONFIG picks the Bazel config
# of --prebuilt binaries (default release; set but empty: Bazel's default, the binaries
# `bazel test //...` already built). Builds with --network host so that apt inside the
# build reaches Debian's mirror as the host does, and makes the base image first when it is
# missing (deploy/docker/base-image.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

prebuilt=0
tag="karst:latest"
while (($#)); do
  case "$1" in
    --prebuilt) prebuilt=1 ;;
    --tag) tag="$2"; shift ;;
    *) echo "usage: deploy/docker/build.sh [--prebuilt] [--tag NAME]" >&2; exit 2 ;;
  esac
  shift
done

deploy/docker/base-image.sh debian:bookworm
# Debian's docker.io has no buildx, so no BuildKit: the classic builder, which builds every
# stage before --target (hence Dockerfile.prebuilt beside the source-building Dockerfile).
export DOCKER_BUILDKIT=0

if ((!prebuilt)); then
  exec docker build --network host -f deploy/docker/Dockerfile --target runtime -t "$tag" .
fi

config="${KARST_DEPLOY_BAZEL_CONFIG-release}"
flags=()
if [[ -n "$config" ]]; then flags=(--config="$config"); fi
# No convenience symlinks: bazel-bin and bazel-testlogs keep pointing at the last `bazel test`.
bazel build "${flags[@]}" --symlink_prefix=/ //broker:karstd //client/cli:karst
bin="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/bin" "$context/deploy/docker"
install -m 0755 "$bin/broker/main/karstd" "$bin/client/cli/karst" "$context/bin/"
cp deploy/docker/Dockerfile deploy/docker/Dockerfile.prebuilt deploy/docker/entrypoint.sh \
  deploy/docker/healthcheck.sh "$context/deploy/docker/"
# runtime-base is the Dockerfile's first stage, so --target builds nothing else.
docker build --network host -f "$context/deploy/docker/Dockerfile" --target runtime-base \
  -t karst-runtime-base:latest "$context"
docker build -f "$context/deploy/docker/Dockerfile.prebuilt" -t "$tag" "$context"
