#!/usr/bin/python3
"""Writes Karst's Grafana dashboards (deploy/grafana/dashboards/*.json) from the panel lists below.

Every query uses only metrics karstd serves at :9644/metrics (the karst_* families and the
process_* ones) and the labels Prometheus adds (job, instance, node: deploy/prometheus).
tests/deploy/check_queries.py asks a real Prometheus for each of them. Edit here, then run
    /usr/bin/python3 deploy/grafana/make_dashboards.py            (--check: only compare)
Group series come from each group's coordinator (one node per group), so sums over nodes
count every group once.
"""
import json
import os
import sys

DATASOURCE = {"type": "prometheus", "uid": "karst-prometheus"}
HERE = os.path.dirname(os.path.abspath(__file__))


def panel(title, exprs, kind="timeseries", unit=None, width=8, height=7, legend=None):
    """One panel; `exprs` is a list of (PromQL, legend format) or a single PromQL string."""
    if isinstance(exprs, str):
        exprs = [(exprs, legend or "")]
    p = {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"w": width, "h": height},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": e, "legendFormat": l}
            for i, (e, l) in enumerate(exprs)
        ],
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {},
    }
    if unit:
        p["fieldConfig"]["defaults"]["unit"] = unit
    if kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"}
    return p


def stat(title, expr, width=4, thresholds=None):
    p = panel(title, expr, kind="stat", width=width, height=4)
    if thresholds:
        p["fieldConfig"]["defaults"]["thresholds"] = {
            "mode": "absolute",
            "steps": [{"color": c, "value": v} for v, c in thresholds],
        }
    return p


def layout(panels):
    """Places panels left to right in rows of width 24."""
    x = y = row_height = 0
    for i, p in enumerate(panels):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y, row_height = 0, y + row_height, 0
        p["gridPos"].update({"x": x, "y": y})
        p["id"] = i + 1
        x += w
        row_height = max(row_height, h)
    return panels


def dashboard(uid, title, panels, variables=()):
    return {
        "uid": uid,
        "title": title,
        "tags": ["karst"],
        "timezone": "browser",
        "schemaVersion": 38,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-30m", "to": "now"},
        "templating": {"list": list(variables)},
        "panels": layout(panels),
    }


def query_variable(name, query):
    return {
        "name": name,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": name},
        "definition": query,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
        "refresh": 2,
    }


RED_IF_POSITIVE = [(None, "green"), (1, "red")]
OVERVIEW = dashboard("karst-overview", "Karst: cluster overview", [
    stat("Nodes up", 'count(up{job="karst"} == 1)'),
    stat("Active controllers", 'sum(karst_controller_active_controller_count{job="karst"})',
         thresholds=[(None, "red"), (1, "green"), (2, "red")]),
    stat("Offline partitions", 'max(karst_controller_offline_partitions_count{job="karst"})',
         thresholds=RED_IF_POSITIVE),
    stat("Under-replicated partitions",
         'sum(karst_broker_under_replicated_partitions{job="karst"})', thresholds=RED_IF_POSITIVE),
    stat("Under min ISR partitions", 'sum(karst_broker_under_min_isr_partitions{job="karst"})',
         thresholds=RED_IF_POSITIVE),
    stat("Fenced brokers", 'max(karst_controller_fenced_broker_count{job="karst"})',
         thresholds=RED_IF_POSITIVE),
    panel("Node up", 'up{job="karst"}', legend="{{node}}"),
    panel("Active controller (1 = active)", 'karst_controller_active_controller_count{job="karst"}',
          legend="{{node}}"),
    panel("ISR shrinks and expands per second", [
        ('sum by (node) (rate(karst_broker_isr_shrinks_total{job="karst"}[1m]))', "shrink {{node}}"),
        ('sum by (node) (rate(karst_broker_isr_expands_total{job="karst"}[1m]))', "expand {{node}}"),
    ]),
    panel("Bytes in and out per second", [
        ('sum by (node) (rate(karst_topic_bytes_in_total{job="karst"}[1m]))', "in {{node}}"),
        ('sum by (node) (rate(karst_topic_bytes_out_total{job="karst"}[1m]))', "out {{node}}"),
        ('sum by (node) (rate(karst_topic_replication_bytes_out_total{job="karst"}[1m]))',
         "replication out {{node}}"),
    ], unit="Bps"),
    panel("Messages in per second",
          'sum by (node) (rate(karst_topic_messages_in_total{job="karst"}[1m]))',
          legend="{{node}}"),
    panel("Partitions and leaders per node", [
        ('karst_broker_partitions{job="karst"}', "replicas {{node}}"),
        ('karst_broker_leader_partitions{job="karst"}', "leaders {{node}}"),
    ]),
    panel("Requests per second by API",
          'sum by (api) (rate(karst_kafka_requests_total{job="karst"}[1m]))',
          legend="{{api}}", width=12),
    panel("p99 request time by API",
          'histogram_quantile(0.99, sum by (api, le) '
          '(rate(karst_kafka_request_seconds_bucket{job="karst"}[5m])))',
          legend="{{api}}", unit="s", width=12),
    panel("Purgatory (acks=all produce waiting for the ISR)",
          'karst_broker_purgatory_size{job="karst"}', legend="{{node}}"),
    panel("Resident memory", 'process_resident_memory_bytes{job="karst"}', legend="{{node}}",
          unit="bytes"),
    panel("CPU", 'rate(process_cpu_seconds_total{job="karst"}[1m])', legend="{{node}}",
          unit="percentunit"),
])

TOPICS = dashboard("karst-topics", "Karst: topics and partitions", [
    panel("Messages in per second by topic",
          'sum by (topic) (rate(karst_topic_messages_in_total{job="karst",topic=~"$topic"}[1m]))',
          legend="{{topic}}", width=12),
    panel("Bytes in and out per second by topic", [
        ('sum by (topic) (rate(karst_topic_bytes_in_total{job="karst",topic=~"$topic"}[1m]))',
         "in {{topic}}"),
        ('sum by (topic) (rate(karst_topic_bytes_out_total{job="karst",topic=~"$topic"}[1m]))',
         "out {{topic}}"),
    ], unit="Bps", width=12),
    panel("High watermark by partition",
          'max by (topic, partition) (karst_partition_high_watermark{job="karst",topic=~"$topic"})',
          legend="{{topic}}-{{partition}}", width=12),
    panel("Records per second by partition (high watermark)",
          'max by (topic, partition) '
          '(deriv(karst_partition_high_watermark{job="karst",topic=~"$topic"}[1m]))',
          legend="{{topic}}-{{partition}}", width=12),
    panel("Replica spread: largest minus smallest log end offset",
          'max by (topic, partition) (karst_partition_log_end_offset{job="karst",topic=~"$topic"})'
          ' - min by (topic, partition) '
          '(karst_partition_log_end_offset{job="karst",topic=~"$topic"})',
          legend="{{topic}}-{{partition}}", width=12),
    panel("Log end offset by replica",
          'karst_partition_log_end_offset{job="karst",topic=~"$topic"}',
          legend="{{topic}}-{{partition}} on {{node}}", width=12),
], variables=[query_variable("topic", 'label_values(karst_partition_log_end_offset, topic)')])

RAFT = dashboard("karst-raft", "Karst: metadata quorum (Raft)", [
    stat("Leader (node id)", 'max(karst_raft_leader{job="karst"})'),
    stat("Term", 'max(karst_raft_term{job="karst"})'),
    stat("Commit index", 'max(karst_raft_commit_index{job="karst"})'),
    stat("Leader changes (1h)", 'sum(increase(karst_raft_leader_changes_total{job="karst"}[1h]))'),
    stat("Metadata offset (active controller)", 'max(karst_controller_metadata_offset{job="karst"})'),
    stat("Voters answering", 'count(karst_raft_role{job="karst"})'),
    panel("Role (0 follower, 1 pre-candidate, 2 candidate, 3 leader)",
          'karst_raft_role{job="karst"}', legend="{{node}}"),
    panel("Term", 'karst_raft_term{job="karst"}', legend="{{node}}"),
    panel("Voter lag: entries behind the highest commit index",
          'max by (group) (karst_raft_commit_index{job="karst"}) - on (group) group_right '
          'karst_raft_commit_index{job="karst"}', legend="{{node}}"),
    panel("Commit and applied index", [
        ('karst_raft_commit_index{job="karst"}', "commit {{node}}"),
        ('karst_raft_applied_index{job="karst"}', "applied {{node}}"),
    ], width=12),
    panel("p99 commit and append latency", [
        ('histogram_quantile(0.99, sum by (node, le) '
         '(rate(karst_raft_commit_latency_seconds_bucket{job="karst"}[5m])))', "commit {{node}}"),
        ('histogram_quantile(0.99, sum by (node, le) '
         '(rate(karst_raft_append_latency_seconds_bucket{job="karst"}[5m])))', "append {{node}}"),
    ], unit="s", width=12),
    panel("p99 controller event processing and queue time", [
        ('histogram_quantile(0.99, sum by (node, le) '
         '(rate(karst_controller_event_processing_seconds_bucket{job="karst"}[5m])))',
         "processing {{node}}"),
        ('histogram_quantile(0.99, sum by (node, le) '
         '(rate(karst_controller_event_queue_seconds_bucket{job="karst"}[5m])))', "queue {{node}}"),
    ], unit="s", width=12),
    panel("Snapshots taken", 'karst_raft_snapshots_total{job="karst"}', legend="{{node}}",
          width=12),
])

GROUPS = dashboard("karst-consumer-groups", "Karst: consumer groups", [
    stat("Groups", 'sum(karst_consumer_groups{job="karst"})'),
    stat("Stable groups", 'sum(karst_consumer_groups{job="karst",state="Stable"})'),
    stat("Rebalancing groups",
         'sum(karst_consumer_groups{job="karst",state=~"PreparingRebalance|CompletingRebalance"})'),
    stat("Total lag (records)",
         'sum(karst_consumer_group_lag{job="karst",group=~"$group"})'),
    stat("Members", 'sum(karst_consumer_group_members{job="karst",group=~"$group"})'),
    stat("Rebalances (1h)",
         'sum(increase(karst_consumer_group_rebalances_total{job="karst",group=~"$group"}[1h]))'),
    panel("Lag by group and topic (records)",
          'sum by (group, topic) (karst_consumer_group_lag{job="karst",group=~"$group"})',
          legend="{{group}} {{topic}}", width=12),
    panel("Lag by partition (records)",
          'sum by (group, topic, partition) '
          '(karst_consumer_group_lag{job="karst",group=~"$group"})',
          legend="{{group}} {{topic}}-{{partition}}", width=12),
    panel("Records committed per second by group and topic",
          'sum by (group, topic) '
          '(rate(karst_consumer_group_committed_offset{job="karst",group=~"$group"}[5m]))',
          legend="{{group}} {{topic}}", width=12),
    panel("Members by group",
          'sum by (group) (karst_consumer_group_members{job="karst",group=~"$group"})',
          legend="{{group}}", width=12),
    panel("Groups by state", 'sum by (state) (karst_consumer_groups{job="karst"})',
          legend="{{state}}", width=8),
    panel("Rebalances per minute by group",
          'sum by (group) '
          '(rate(karst_consumer_group_rebalances_total{job="karst",group=~"$group"}[5m])) * 60',
          legend="{{group}}", width=8),
    panel("p99 rebalance time (PreparingRebalance to a new generation)",
          'histogram_quantile(0.99, sum by (le) '
          '(rate(karst_consumer_group_rebalance_seconds_bucket{job="karst"}[5m])))',
          legend="p99", unit="s", width=8),
], variables=[query_variable("group", 'label_values(karst_consumer_group_members, group)')])


def main():
    """Writes the dashboards; with --check, exits 1 if the committed files differ instead."""
    check = sys.argv[1:] == ["--check"]
    out = os.path.join(HERE, "dashboards")
    os.makedirs(out, exist_ok=True)
    stale = []
    for d in (OVERVIEW, TOPICS, RAFT, GROUPS):
        path = os.path.join(out, d["uid"] + ".json")
        text = json.dumps(d, indent=2) + "\n"
        if check:
            if not os.path.exists(path) or open(path).read() != text:
                stale.append(path)
            continue
        with open(path, "w") as f:
            f.write(text)
    for path in stale:
        print(f"{path} is out of date: run /usr/bin/python3 deploy/grafana/make_dashboards.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
