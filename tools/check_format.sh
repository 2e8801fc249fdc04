#!/usr/bin/env bash
# Fails (exit 1) listing every C++ file that clang-format (.clang-format at the root) would
# change. Run as `bazel test //:format_test` (never cached) or directly from the tree.
set -uo pipefail
# Find the source tree: under Bazel the .clang-format runfile is a symlink into it.
if [[ $# -ge 1 ]]; then
  root="$(dirname "$(readlink -f "$1")")"
else
  root="$(cd "$(dirname "$0")/.." && pwd)"
fi
cd "$root" || exit 1
if ! command -v git >/dev/null; then
  echo "check_format: git is not installed (tools/setup.sh installs it)"
  exit 1
fi
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cc' \
  ':!:tools/bazel/rules_cc' ':!:tools/bazel/rules_java')
if [[ ${#files[@]} -eq 0 ]]; then
  echo "check_format: no C++ files found under $root"
  exit 1
fi
bad=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if [[ ${#bad[@]} -ne 0 ]]; then
  echo "not clang-formatted (fix with: clang-format -i FILE):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
