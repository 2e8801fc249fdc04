#!/usr/bin/env bash
# The whole test suite: installs what is missing (tools/setup.sh), builds and runs every Bazel
# test, checks the layering table against the real dependency graph, fuzzes request decoding
# for 60 seconds (KARST_FUZZ_SECONDS), runs the deployment test (tests/deploy/compose_test.sh:
# Docker image and compose clusters; KARST_DEPLOY_TEST=0 skips it), and ends with the line
# "N passed, N failed".
# Extra arguments go to `bazel test` (e.g. --config=asan).
set -uo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
bazel test --keep_going --test_summary=short //... "$@" 2>&1 | tee "$log"
bazel_rc=${PIPESTATUS[0]}

echo "--- layering (tools/layering/rules.txt) ---"
bazel query 'deps(//...)' --notool_deps --noimplicit_deps --output=graph \
  --nograph:factored 2>/dev/null |
  /usr/bin/python3 tools/layering/check_layering.py tools/layering/rules.txt
layering_rc=${PIPESTATUS[1]}
[[ ${PIPESTATUS[0]} -eq 0 ]] || layering_rc=1

echo "--- fuzz (tools/fuzz.sh: request decoding, 60 s) ---"
tools/fuzz.sh "${KARST_FUZZ_SECONDS:-60}"
fuzz_rc=$?

extra=("layering=$layering_rc" "fuzz=$fuzz_rc")
# After `bazel test`, so it never slows the unit and integration suites.
if [[ "${KARST_DEPLOY_TEST:-1}" != 0 ]]; then
  echo "--- deploy (tests/deploy/compose_test.sh: Docker image, compose clusters) ---"
  # The image gets the binaries `bazel test` just built (default config): an optimized build
  # would add a whole second compile on a fresh machine (CI) for nothing the test checks.
  KARST_DEPLOY_BAZEL_CONFIG="${KARST_DEPLOY_BAZEL_CONFIG-}" tests/deploy/compose_test.sh
  extra+=("deploy=$?")
fi
# Bazel exit 3 means tests failed (counted from the log); any other failure is a build error.
if [[ $bazel_rc -ne 0 && $bazel_rc -ne 3 ]]; then extra+=("bazel-build(exit $bazel_rc)=1"); fi
/usr/bin/python3 tools/test_summary.py "$log" "$(readlink -f bazel-testlogs)" "${extra[@]}"
