#!/usr/bin/python3
"""karst's producer against librdkafka's on the same cluster, topic and settings.

  tools/bench/producer_vs_librdkafka.py BOOTSTRAP [RECORDS] [RECORD_BYTES] [ROUNDS] [k=v ...]

Creates topic `perf-<time>` (6 partitions, replication factor 3, min.insync.replicas 2), warms
it up with a tenth of the records from each side (untimed), then ROUNDS times (default 3),
alternating which goes first: `bin/karst perf produce` (kafka-producer-perf-test's
workload: RECORDS unkeyed records of RECORD_BYTES random letters) and the same workload
through confluent-kafka (librdkafka), both with acks=all and the same batching properties
(defaults: linger.ms=5 batch.size=1000000, librdkafka's own defaults; extra k=v override both).
With small batches the pipeline depth decides: karst (as Java) defaults
max.in.flight.requests.per.connection to 5, librdkafka to 1000000, so pass the same value to
both (e.g. max.in.flight.requests.per.connection=5) to compare the producers themselves.
Prints each run and the median records/s of each side. Start a cluster first, e.g.
`bin/karst cluster up --nodes 3 --detach` (bootstrap servers in .karst/bootstrap.servers).
"""
import json
import os
import random
import statistics
import string
import subprocess
import sys
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def create_topic(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 6, 3, config={"min.insync.replicas": "2"})])[
        topic].result(30)
    deadline = time.monotonic() + 30
    while True:  # Until every partition has a leader (metadata reaches every broker).
        md = admin.list_topics(topic, timeout=10).topics.get(topic)
        if md and md.error is None and all(p.leader >= 0 for p in md.partitions.values()):
            return
        if time.monotonic() > deadline:
            raise RuntimeError("topic %s has no leaders after 30 s" % topic)
        time.sleep(0.1)


def run_karst(bootstrap, topic, count, size, props):
    karst = os.path.join(ROOT, "bin", "karst")
    args = [karst, "perf", "produce", "--topic", topic, "--num-records", str(count),
            "--record-size", str(size), "--throughput", "-1", "--bootstrap-server", bootstrap,
            "--output", "json", "--producer-props", "acks=all"]
    args += ["%s=%s" % kv for kv in props.items()]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["records_per_sec"], result["mb_per_sec"], result["avg_latency_ms"], \
        result["failed"]


def run_librdkafka(bootstrap, topic, count, size, props):
    payload = "".join(random.choice(string.ascii_uppercase) for _ in range(size)).encode()
    config = {"bootstrap.servers": bootstrap, "acks": "all",
              # karst's buffer.memory default (32 MiB) and no record-count limit.
              "queue.buffering.max.kbytes": 32768, "queue.buffering.max.messages": 10000000}
    config.update(props)
    producer = Producer(config)
    failed = [0]
    latency = [0.0]

    def make_callback(sent):
        def done(err, _msg):
            if err is not None:
                failed[0] += 1
            else:
                latency[0] += time.monotonic() - sent
        return done

    start = time.monotonic()
    for _ in range(count):
        while True:
            try:
                producer.produce(topic, payload, on_delivery=make_callback(time.monotonic()))
                break
            except BufferError:  # Queue full: serve callbacks, as kafka-producer-perf-test blocks.
                producer.poll(0.01)
        producer.poll(0)
    producer.flush()
    elapsed = time.monotonic() - start
    ok = count - failed[0]
    return (ok / elapsed, ok * size / 1048576.0 / elapsed,
            latency[0] * 1000.0 / max(ok, 1), failed[0])


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    bootstrap = argv[1]
    count = int(argv[2]) if len(argv) > 2 else 200000
    size = int(argv[3]) if len(argv) > 3 else 1024
    rounds = int(argv[4]) if len(argv) > 4 else 3
    props = {"linger.ms": "5", "batch.size": "1000000"}
    for kv in argv[5:]:
        key, value = kv.split("=", 1)
        props[key] = value
    topic = "perf-%d" % int(time.time())
    create_topic(bootstrap, topic)
    print("topic %s, %d records of %d B per run, acks=all, %s" %
          (topic, count, size, " ".join("%s=%s" % kv for kv in sorted(props.items()))))
    results = {"karst": [], "librdkafka": []}
    sides = [("karst", run_karst), ("librdkafka", run_librdkafka)]
    # The first writes to a new topic are slow (segments and page cache are cold): warm up
    # with both sides, untimed, and alternate which side goes first in each round.
    for name, run in sides:
        run(bootstrap, topic, max(count // 10, 1000), size, props)
    for r in range(rounds):
        for name, run in (sides if r % 2 == 0 else sides[::-1]):
            rps, mbps, avg_ms, failed = run(bootstrap, topic, count, size, props)
            results[name].append(rps)
            print("round %d %-10s %9.0f records/s %7.2f MB/s avg latency %8.1f ms failed %d" %
                  (r + 1, name, rps, mbps, avg_ms, failed), flush=True)
    for name, values in results.items():
        print("median %-10s %9.0f records/s (%s)" %
              (name, statistics.median(values), ", ".join("%.0f" % v for v in values)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
