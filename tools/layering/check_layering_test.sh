#!/usr/bin/env bash
# Proves check_layering.py rejects forbidden edges and accepts allowed ones, on synthetic
# graphs (the real graph is checked by tools/test.sh, which can run bazel query).
set -uo pipefail
checker="$1"
rules="$2"
failures=0

expect() {  # expect <exit code> <grep pattern> <edges...>
  local want="$1" pattern="$2"
  shift 2
  local out code
  out="$(printf '%s\n' "$@" | /usr/bin/python3 "$checker" "$rules")"
  code=$?
  if [[ $code -ne $want ]] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: edges [$*] gave exit $code (want $want), output:"
    echo "$out"
    failures=$((failures + 1))
  fi
}

expect 0 "0 violations" '"//broker:karstd" -> "//common:logging"' \
  '"//storage:log" -> "//kafka/record:batch"' '"//tests/harness:harness" -> "//broker:karstd"' \
  '"//common:x" -> "@system//:absl"' '"//broker:b" -> "//controller/metadata:image"'
expect 1 "common may not depend on broker" '"//common:logging" -> "//broker:karstd"'
expect 1 "raft may not depend on kafka" '"//raft/core:core" -> "//kafka/record:batch"'
expect 1 "storage may not depend on kafka" '"//storage:log" -> "//kafka/protocol:codec"'
expect 1 "broker may not depend on controller" '"//broker:b" -> "//controller:quorum"'
expect 1 "controller/metadata may not depend on raft" '"//controller/metadata:i" -> "//raft:node"'
expect 1 "client may not depend on storage" '"//client:producer" -> "//storage:log"'
expect 1 "has no row" '"//newfolder:x" -> "//common:logging"'

if [[ $failures -ne 0 ]]; then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all layering checker cases passed"
