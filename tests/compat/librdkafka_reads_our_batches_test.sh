#!/usr/bin/env bash
# Writes our batches for every codec into $TEST_TMPDIR (write_test_batches), then checks that
# librdkafka reads them back exactly (librdkafka_reads_our_batches_test.py, which serves them
# through tools/capture/fetch_broker.py). Debian's /usr/bin/python3 has confluent_kafka.
# Usage: librdkafka_reads_our_batches_test.sh WRITE_TEST_BATCHES TEST_PY FETCH_BROKER_PY
set -euo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 WRITE_TEST_BATCHES TEST_PY FETCH_BROKER_PY" >&2
  exit 2
fi
out="${TEST_TMPDIR:-$(mktemp -d)}/batches"
mkdir -p "$out"
"$1" "$out"
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$2" "$out" "$(dirname "$3")"
