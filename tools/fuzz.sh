#!/usr/bin/env bash
# Builds the Kafka request-decoding fuzzer with clang (libFuzzer, AddressSanitizer,
# UndefinedBehaviorSanitizer) and runs it for SECONDS (default 60), seeded with the golden
# request captures. Exits non-zero on a crash, a sanitizer report, a broken round trip, or
# a single allocation above 16 MiB (inputs are at most 64 KiB).
#   tools/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

bazel build //kafka/protocol:generate >/dev/null 2>&1 || bazel build //kafka/protocol:generate
gen="$(readlink -f bazel-bin)"
work="${KARST_FUZZ_DIR:-$HOME/.cache/karst/fuzz}"
mkdir -p "$work/obj" "$work/corpus"

flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -I. -I"$gen" $(pkg-config --cflags absl_status))
srcs=(kafka/protocol/wire.cc kafka/protocol/header.cc kafka/protocol/codec.cc
      kafka/record/byte_io.cc "$gen"/kafka/protocol/messages/*.cc
      "$gen"/kafka/protocol/apis.cc "$gen"/kafka/protocol/errors.cc
      kafka/protocol/fuzz_decode_request.cc)

# Compile what changed since the last run, two at a time (the machine has two cores).
object_for() { echo "$work/obj/$(echo "$1" | sed 's|.*/kafka/|kafka/|; s|/|_|g').o"; }
export -f object_for
export work flags_str="${flags[*]}"
printf '%s\n' "${srcs[@]}" | xargs -P 2 -I{} bash -c '
  src="{}"; obj="$(object_for "$src")"
  if [[ ! -f "$obj" || "$src" -nt "$obj" ]]; then clang++ $flags_str -c "$src" -o "$obj"; fi'
objs=()
for src in "${srcs[@]}"; do objs+=("$(object_for "$src")"); done
clang++ -fsanitize=fuzzer,address,undefined "${objs[@]}" \
  $(pkg-config --libs absl_status absl_statusor absl_strings absl_str_format) \
  -o "$work/fuzz_decode_request"

seeds=()
[[ -d kafka/protocol/testdata/requests ]] && seeds+=(kafka/protocol/testdata/requests/*/)
echo "fuzz: running for ${seconds}s with ${#seeds[@]} seed directories"
"$work/fuzz_decode_request" -max_total_time="$seconds" -max_len=65536 \
  -malloc_limit_mb=16 -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$work/" \
  "$work/corpus" "${seeds[@]}" 2>&1 | tail -25
status=${PIPESTATUS[0]}
echo "fuzz: exit $status"
exit "$status"
