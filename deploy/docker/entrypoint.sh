#!/bin/sh
# The image's entrypoint. With no arguments, or arguments that start with '-', it runs karstd
# (settings from KARST_<KEY> variables; extra arguments such as --override key=value go to
# karstd). Any other command runs as given: `docker run ... karst:latest karst topics --list ...`.
#
# karstd formats empty data dirs on first start with KARST_CLUSTER_ID and refuses data dirs of
# another cluster or node; this script only says early and plainly what is missing.
set -eu

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then exec "$@"; fi

data_dir="${KARST_LOG_DIRS:-/var/lib/karst/data}"
data_dir="${data_dir%%,*}"
if [ -z "${KARST_CLUSTER_ID:-}" ] && [ ! -f "$data_dir/meta.properties" ]; then
  echo "karst-entrypoint: $data_dir is not formatted and KARST_CLUSTER_ID is not set;" \
    "set KARST_CLUSTER_ID (the same for every node of a cluster) for the first start" >&2
  exit 2
fi
if ! mkdir -p "$data_dir" 2>/dev/null || [ ! -w "$data_dir" ]; then
  echo "karst-entrypoint: $data_dir is not writable by $(id -un) (uid $(id -u));" \
    "give the volume to uid 10001" >&2
  exit 1
fi
exec /usr/local/bin/karstd "$@"
