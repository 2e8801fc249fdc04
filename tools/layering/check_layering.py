#!/usr/bin/python3
"""Fails when a Bazel dependency edge breaks the layering table (ARCHITECTURE.md).

Reads edges as `bazel query --output=graph --nograph:factored` prints them ("a" -> "b") on
stdin, and the rules from the file named by argv[1]. Prints each forbidden edge and exits 1;
exits 0 when every edge is allowed. Edges to other repositories (@...) are always allowed.
A label in the root package or in a folder the rules do not name is an error: every folder
must have a row, so a new folder cannot slip past the table.
"""
import re
import sys

EDGE = re.compile(r'^\s*"(//[^"]*)"\s*->\s*"(//[^"]*)"')


def load_rules(path):
    rules = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if "->" not in line:
                sys.exit(f"{path}:{number}: expected '<folder> -> <allowed>...'")
            folder, allowed = line.split("->", 1)
            rules[folder.strip()] = set(allowed.split())
    return rules


def layer_of(label, rules):
    """The most specific folder in `rules` that contains the label's package."""
    package = label[2:].split(":", 1)[0]
    best = None
    for folder in rules:
        if package == folder or package.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best, package


def allowed(source, target, target_package, rules):
    """May layer `source` depend on `target_package`, which lies in layer `target`?"""
    if source == target or "*" in rules[source]:
        return True
    # An allowed folder may be finer than the target's layer (storage -> kafka/record).
    for folder in rules[source]:
        if target_package == folder or target_package.startswith(folder + "/"):
            return True
    # A folder may use its own sublayers (controller -> controller/metadata).
    return target.startswith(source + "/")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_layering.py RULES < edges")
    rules = load_rules(sys.argv[1])
    violations = []
    edges = 0
    for line in sys.stdin:
        m = EDGE.match(line)
        if not m:
            continue
        edges += 1
        source, target = m.group(1), m.group(2)
        source_layer, source_package = layer_of(source, rules)
        target_layer, target_package = layer_of(target, rules)
        for layer, package, label in ((source_layer, source_package, source),
                                      (target_layer, target_package, target)):
            if layer is None and package:
                violations.append(f"{label}: folder '{package}' has no row in the layering rules")
        if source_layer is None or target_layer is None:
            continue
        if not allowed(source_layer, target_layer, target_package, rules):
            violations.append(f"{source} -> {target}: {source_layer} may not depend on "
                              f"{target_layer} (allowed: {' '.join(sorted(rules[source_layer])) or 'nothing'})")
    for v in sorted(set(violations)):
        print("layering violation:", v)
    print(f"layering: {edges} edges checked, {len(set(violations))} violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
