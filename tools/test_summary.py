#!/usr/bin/python3
"""Turns a `bazel test --test_summary=short` log into one line: "N passed, N failed".

Counts test cases, not targets: each test target's test.xml (GoogleTest's, or Bazel's own for
shell tests) gives its cases. A target that failed without a readable failure in its XML (a
crash, a timeout, a build failure) counts as one failed case. Extra results can be added as
NAME=0|1 arguments (0 passed). Prints the failing names, then the summary line; exits 1 if
anything failed or nothing ran.

usage: test_summary.py BAZEL_LOG TESTLOGS_DIR [NAME=RC ...]
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

LINE = re.compile(r"^(//\S+)\s+(?:\(cached\)\s+)?(PASSED|FAILED TO BUILD|FAILED|TIMEOUT|"
                  r"NO STATUS|FLAKY|INCOMPLETE|REMOTE FAILURE|SKIPPED)\b")


def cases(xml_path):
    """(passed, failed) test cases in a JUnit XML file, or None if unreadable."""
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is None and case.get("status", "run") == "run":
            passed += 1
    return passed, failed


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    log, testlogs = sys.argv[1], sys.argv[2]
    passed = failed = 0
    failing = []
    with open(log, errors="replace") as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            label, status = m.group(1), m.group(2)
            package, _, name = label[2:].partition(":")
            counted = cases(os.path.join(testlogs, package, name, "test.xml"))
            if status in ("PASSED", "FLAKY") and counted:
                passed += counted[0]
                failed += counted[1]
                if counted[1]:
                    failing.append(label)
            elif status in ("PASSED", "FLAKY"):
                passed += 1
            else:
                p, fl = counted if counted and status == "FAILED" else (0, 0)
                passed += p
                failed += max(fl, 1)
                failing.append(f"{label} ({status})")
    for extra in sys.argv[3:]:
        name, _, rc = extra.partition("=")
        if rc == "0":
            passed += 1
        else:
            failed += 1
            failing.append(name)
    for label in failing:
        print("failed:", label)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
