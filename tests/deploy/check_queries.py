#!/usr/bin/python3
"""Asks a real Prometheus for every PromQL expression in Karst's dashboards and alert rules.

    check_queries.py PROMETHEUS_URL DEADLINE_SECONDS

Walks deploy/grafana/dashboards/*.json (every panel target and the label_values() variables)
and deploy/prometheus/alerts.yml. Each expression must parse and return data. An alert's
threshold is cut off first (`up == 0` is asked as `up`), since a healthy cluster fires no alert.
Grafana's $variables become `.*`. Retries until every query has data or the deadline passes
(rates need two scrapes), then prints each failing query and exits 1.
"""
import glob
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
THRESHOLD = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*[0-9.]+\s*$")
LABEL_VALUES = re.compile(r"^label_values\((\w+),\s*(\w+)\)$")


def expressions():
    """(where, PromQL) for every query in the dashboards and alert rules."""
    for path in sorted(glob.glob(os.path.join(REPO, "deploy/grafana/dashboards/*.json"))):
        board = json.load(open(path))
        name = os.path.basename(path)
        for v in board.get("templating", {}).get("list", []):
            m = LABEL_VALUES.match(v["query"]["query"])
            if not m:
                raise SystemExit(f"{name}: variable {v['name']}: only label_values(m, l) is checked")
            yield f"{name} variable {v['name']}", f"count by ({m.group(2)}) ({m.group(1)})"
        for p in board["panels"]:
            for t in p["targets"]:
                yield f"{name} panel {p['title']!r}", re.sub(r"\$\w+", ".*", t["expr"])
    rules = yaml.safe_load(open(os.path.join(REPO, "deploy/prometheus/alerts.yml")))
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield f"alerts.yml {rule['alert']}", THRESHOLD.sub("", rule["expr"])


def query(base, expr):
    """(ok, message): ok when the expression parses and returns at least one sample."""
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as e:
        return False, json.load(e).get("error", str(e))
    except OSError as e:
        return False, str(e)
    if body.get("status") != "success":
        return False, body.get("error", "no success")
    result = body["data"]["result"]
    if body["data"]["resultType"] in ("scalar", "string"):
        return True, ""
    return (True, "") if result else (False, "no data")


def main():
    base, deadline = sys.argv[1].rstrip("/"), time.monotonic() + float(sys.argv[2])
    pending = list(expressions())
    total = len(pending)
    while True:
        failures = [(w, e, m) for w, e in pending for ok, m in [query(base, e)] if not ok]
        pending = [(w, e) for w, e, _ in failures]
        # A parse error never heals: fail at once.
        if not failures or time.monotonic() > deadline or any(
                "parse error" in m for _, _, m in failures):
            break
        time.sleep(2)
    for where, expr, message in failures:
        print(f"FAIL {where}: {message}\n    {expr}")
    print(f"queries: {total - len(failures)} of {total} returned data")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
