#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) against a Karst cluster: creates TOPIC
with PARTITIONS partitions and replication factor REPLICAS through its
AdminClient (CreateTopics), produces COUNT keyed records with acks=all and
CODEC, each with headers and an explicit timestamp, then reads every partition
from the beginning by assignment (no group) and checks the records (see
records.py). Exits 0 when all were read back intact, 1 naming the mismatches.

With --verify-only it only reads back and checks TOPIC, which another client
(kafkajs_client.js) filled with records tagged TAG and timestamped from BASE_TS.

Usage: /usr/bin/python3 confluent_kafka_client.py BOOTSTRAP TOPIC COUNT CODEC
       [PARTITIONS REPLICAS]
       /usr/bin/python3 confluent_kafka_client.py --verify-only BOOTSTRAP TOPIC
       COUNT TAG BASE_TS [PARTITIONS]
CODEC: none, gzip, snappy, lz4 or zstd. Debian's python3-confluent-kafka.
KARST_RDKAFKA_DEBUG (e.g. "msg,protocol") turns on librdkafka's debug logs.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import confluent_kafka as ck  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
import records  # noqa: E402

DEADLINE_S = float(os.environ.get("KARST_CLIENT_DEADLINE_S", "120"))


def fail(msg):
    print("confluent-kafka: FAILED: " + msg, flush=True)
    sys.exit(1)


def create_topic(bootstrap, topic, partitions, replicas, deadline):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, replicas)],
                                  operation_timeout=30, request_timeout=30)
    try:
        futures[topic].result(timeout=max(1, deadline - time.monotonic()))
    except Exception as e:  # noqa: BLE001 - any failure is the test's failure
        fail("CreateTopics %s: %s" % (topic, e))
    # Wait until metadata shows every partition with a leader.
    while time.monotonic() < deadline:
        md = admin.list_topics(topic, timeout=5).topics.get(topic)
        if (md is not None and md.error is None and len(md.partitions) == partitions and
                all(p.leader >= 0 and len(p.replicas) == replicas for p in md.partitions.values())):
            return
        time.sleep(0.2)
    fail("topic %s has no leader for every partition in time: %s" % (topic, md))


def debug_conf():
    """KARST_RDKAFKA_DEBUG (e.g. "msg,protocol") turns on librdkafka's debug logs."""
    debug = os.environ.get("KARST_RDKAFKA_DEBUG")
    return {"debug": debug} if debug else {}


def produce(bootstrap, topic, count, codec, base_ts, tag, deadline):
    errors = []

    def on_delivery(err, msg):
        if err is not None and len(errors) < 20:
            errors.append("record %s: %s" % (msg.key(), err))

    p = ck.Producer({
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "compression.codec": codec,
        "linger.ms": 20,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": count + 1000,
        "queue.buffering.max.kbytes": 1048576,
        "message.timeout.ms": int(DEADLINE_S * 1000),
        **debug_conf(),
    })
    for i in range(count):
        while True:
            try:
                p.produce(topic, key=records.key_of(i), value=records.value_of(tag, i),
                          headers=records.headers_of(tag, i), timestamp=base_ts + i,
                          on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        if i % 1000 == 0:
            p.poll(0)
    left = p.flush(max(1, deadline - time.monotonic()))
    if left:
        fail("%d records still unacknowledged at the deadline" % left)
    if errors:
        fail("produce errors:\n  " + "\n  ".join(errors))


def consume(bootstrap, topic, partitions, count, base_ts, tag, deadline):
    c = ck.Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "karst-compat-unused",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "check.crcs": True,
        **debug_conf(),
    })
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    checker = records.Checker(tag, count, base_ts)
    try:
        while not checker.done() and time.monotonic() < deadline:
            for m in c.consume(num_messages=10000, timeout=0.5):
                if m.error():
                    checker.error("consume error: %s" % m.error())
                    continue
                ts_type, ts = m.timestamp()
                if ts_type != ck.TIMESTAMP_CREATE_TIME:
                    checker.error("partition %d offset %d: timestamp type %d, want CreateTime"
                                  % (m.partition(), m.offset(), ts_type))
                key, value = m.key(), m.value()
                checker.add(m.partition(), m.offset(),
                            None if key is None else key.decode(),
                            None if value is None else value.decode(),
                            [(k, None if v is None else v.decode()) for k, v in (m.headers() or [])],
                            ts)
    finally:
        c.close()
    return checker


def verify_only(args):
    if len(args) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic, count, tag, base_ts = args[0], args[1], int(args[2]), args[3], int(args[4])
    partitions = int(args[5]) if len(args) == 6 else 3
    start = time.monotonic()
    checker = consume(bootstrap, topic, partitions, count, base_ts, tag, start + DEADLINE_S)
    print("confluent-kafka reading %s: consume %.1fs" % (tag, time.monotonic() - start))
    return checker.report("%s read back by confluent-kafka" % tag)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--verify-only":
        return verify_only(sys.argv[2:])
    if len(sys.argv) not in (5, 7):
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic, count, codec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    partitions, replicas = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) == 7 else (3, 3)
    tag = "confluent-kafka-" + codec
    base_ts = int(time.time() * 1000) - count
    start = time.monotonic()
    deadline = start + DEADLINE_S
    create_topic(bootstrap, topic, partitions, replicas, deadline)
    t_created = time.monotonic()
    produce(bootstrap, topic, count, codec, base_ts, tag, deadline)
    t_produced = time.monotonic()
    checker = consume(bootstrap, topic, partitions, count, base_ts, tag, deadline)
    t_consumed = time.monotonic()
    print("confluent-kafka %s: create %.1fs, produce %.1fs, consume %.1fs" % (
        codec, t_created - start, t_produced - t_created, t_consumed - t_produced))
    return checker.report("confluent-kafka " + codec)


if __name__ == "__main__":
    sys.exit(main())
