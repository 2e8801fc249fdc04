#!/usr/bin/python3
"""Transcribes Apache Kafka's message definitions into Karst's own schema files.

Run by hand when the served APIs change; the build never runs it and never reads Kafka's
files. It keeps only the facts the codec needs (fields, types, versions, nullability,
defaults, tags, flexible versions) and drops the prose:

    tools/protocol/transcribe.py ../shared/kafka-protocol/messages kafka/protocol/schema

The schema format (one file per API, request then response) is described in
kafka/protocol/schema/README.md.
"""
import json
import os
import re
import sys

# The APIs Karst serves (issue #5), by Kafka's request name without the "Request" suffix.
APIS = [
    "ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets", "OffsetForLeaderEpoch",
    "FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit",
    "OffsetFetch", "DescribeGroups", "ListGroups", "DeleteGroups", "OffsetDelete",
    "ConsumerGroupHeartbeat", "ConsumerGroupDescribe", "SaslHandshake", "SaslAuthenticate",
    "CreateTopics", "DeleteTopics", "CreatePartitions", "DeleteRecords", "DescribeConfigs",
    "AlterConfigs", "IncrementalAlterConfigs", "DescribeCluster", "DescribeLogDirs",
    "ElectLeaders", "AlterPartitionReassignments", "ListPartitionReassignments",
    "InitProducerId", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", "TxnOffsetCommit",
    "WriteTxnMarkers", "DescribeProducers", "DescribeTransactions", "ListTransactions",
    "CreateAcls", "DescribeAcls", "DeleteAcls", "DescribeUserScramCredentials",
    "AlterUserScramCredentials", "DescribeClientQuotas", "AlterClientQuotas",
    "DescribeTopicPartitions", "DescribeQuorum",
]

# Error codes whose exceptions extend RetriableException in Kafka's Errors.java (a client may
# retry the request as it was).
RETRIABLE = {2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80,
             83, 88, 89, 100, 103, 106}

KEPT = ("versions", "nullableVersions", "default", "tag", "taggedVersions", "flexibleVersions")
NAMES = {"nullableVersions": "nullable", "taggedVersions": "tagged",
         "flexibleVersions": "flexible"}


def load(path):
    with open(path) as f:
        text = "\n".join(l for l in f.read().split("\n") if not l.strip().startswith("//"))
    return json.loads(text)


def value(v):
    s = str(v)
    if s == "" or re.search(r'[\s="]', s):
        return json.dumps(s)
    return s


def field_lines(fields, depth):
    out = []
    for f in fields:
        attrs = [f"{NAMES.get(k, k)}={value(f[k])}" for k in KEPT if k in f]
        out.append("  " * depth + f"{f['name']}: {f['type']} " + " ".join(attrs))
        if "fields" in f:
            out += field_lines(f["fields"], depth + 1)
    return out


def message_lines(d):
    head = f"{d['type']} {d['name']} key={d['apiKey']} versions={d['validVersions']} " \
           f"flexible={d['flexibleVersions']}"
    out = [head] + field_lines(d["fields"], 1)
    for s in d.get("commonStructs", []):
        out.append(f"struct {s['name']} versions={s['versions']}")
        out += field_lines(s["fields"], 1)
    return out


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    for api in APIS:
        lines = [f"# {api}: transcribed from Apache Kafka's {api}Request.json and "
                 f"{api}Response.json by tools/protocol/transcribe.py.", ""]
        for kind in ("Request", "Response"):
            lines += message_lines(load(os.path.join(src, f"{api}{kind}.json"))) + [""]
        with open(os.path.join(dst, f"{snake(api)}.schema"), "w") as f:
            f.write("\n".join(lines))
    lines = ["# Kafka's error codes: code, name, retriable, message. Transcribed from Kafka's",
             "# error table by tools/protocol/transcribe.py.", ""]
    with open(os.path.join(os.path.dirname(os.path.normpath(src)), "errors.tsv")) as f:
        for row in list(f)[1:]:
            code, name, message = row.rstrip("\n").split("\t")
            flag = "retriable" if int(code) in RETRIABLE else "-"
            lines.append(f"{code} {name} {flag} {json.dumps(message)}")
    with open(os.path.join(dst, "errors.table"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"transcribed {len(APIS)} APIs and {len(lines) - 3} error codes into {dst}")


if __name__ == "__main__":
    main()
