#!/usr/bin/python3
"""kafka-python against a Karst cluster: creates TOPIC with PARTITIONS
partitions and replication factor REPLICAS through KafkaAdminClient
(CreateTopics), produces COUNT keyed records with acks=all and CODEC, each
with headers and an explicit timestamp, then reads every partition from the
beginning by assignment (no group) and checks the records (see records.py).
Exits 0 when all were read back intact, 1 naming the mismatches.

Usage: /usr/bin/python3 kafka_python_client.py BOOTSTRAP TOPIC COUNT CODEC
       [PARTITIONS REPLICAS]
CODEC: none, gzip, snappy, lz4 or zstd. Debian's python3-kafka (with
python3-snappy, python3-lz4, python3-zstandard for those codecs).
"""

import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafka  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402
from kafka.structs import TopicPartition  # noqa: E402
import records  # noqa: E402

DEADLINE_S = float(os.environ.get("KARST_CLIENT_DEADLINE_S", "120"))


def fail(msg):
    print("kafka-python: FAILED: " + msg, flush=True)
    sys.exit(1)


def create_topic(bootstrap, topic, partitions, replicas, deadline):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="karst-compat-admin",
                             request_timeout_ms=30000)
    try:
        response = admin.create_topics([NewTopic(topic, partitions, replicas)], timeout_ms=30000)
        for name, code, *rest in response.topic_errors:
            if code != 0:
                fail("CreateTopics %s: error %d %s" % (name, code, rest))
    except Exception as e:  # noqa: BLE001 - any failure is the test's failure
        fail("CreateTopics %s: %r" % (topic, e))
    finally:
        admin.close()


def wait_for_partitions(consumer, topic, partitions, deadline):
    while time.monotonic() < deadline:
        found = consumer.partitions_for_topic(topic)
        if found is not None and len(found) == partitions:
            return
        time.sleep(0.2)
    fail("topic %s never showed %d partitions" % (topic, partitions))


def produce(bootstrap, topic, count, codec, base_ts, tag, deadline):
    p = kafka.KafkaProducer(
        bootstrap_servers=bootstrap, acks="all",
        compression_type=None if codec == "none" else codec,
        linger_ms=20, batch_size=256 * 1024, buffer_memory=256 * 1024 * 1024,
        max_block_ms=int(DEADLINE_S * 1000))
    futures = []
    try:
        for i in range(count):
            futures.append(p.send(
                topic, key=records.key_of(i).encode(), value=records.value_of(tag, i).encode(),
                headers=[(k, v.encode()) for k, v in records.headers_of(tag, i)],
                timestamp_ms=base_ts + i))
        p.flush(timeout=max(1, deadline - time.monotonic()))
        errors = []
        for i, f in enumerate(futures):
            if not f.is_done:
                errors.append("record %d: not acknowledged at the deadline" % i)
            elif f.failed():
                errors.append("record %d: %r" % (i, f.exception))
            if len(errors) >= 20:
                break
        if errors:
            fail("produce errors:\n  " + "\n  ".join(errors))
    finally:
        p.close(timeout=5)


def consume(bootstrap, topic, partitions, count, base_ts, tag, deadline):
    c = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                            enable_auto_commit=False, auto_offset_reset="earliest",
                            check_crcs=True, max_partition_fetch_bytes=4 * 1024 * 1024)
    wait_for_partitions(c, topic, partitions, deadline)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    checker = records.Checker(tag, count, base_ts)
    try:
        while not checker.done() and time.monotonic() < deadline:
            for tp, msgs in c.poll(timeout_ms=500, max_records=10000).items():
                for m in msgs:
                    if m.timestamp_type != 0:
                        checker.error("partition %d offset %d: timestamp type %d, want CreateTime"
                                      % (m.partition, m.offset, m.timestamp_type))
                    checker.add(m.partition, m.offset,
                                None if m.key is None else m.key.decode(),
                                None if m.value is None else m.value.decode(),
                                [(k, None if v is None else v.decode()) for k, v in m.headers],
                                m.timestamp)
    finally:
        c.close()
    return checker


def main():
    if len(sys.argv) not in (5, 7):
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("KARST_KAFKA_PYTHON_DEBUG"):
        logging.basicConfig(level=logging.DEBUG)
    bootstrap, topic, count, codec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    partitions, replicas = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) == 7 else (3, 3)
    tag = "kafka-python-" + codec
    base_ts = int(time.time() * 1000) - count
    start = time.monotonic()
    deadline = start + DEADLINE_S
    create_topic(bootstrap, topic, partitions, replicas, deadline)
    t_created = time.monotonic()
    produce(bootstrap, topic, count, codec, base_ts, tag, deadline)
    t_produced = time.monotonic()
    checker = consume(bootstrap, topic, partitions, count, base_ts, tag, deadline)
    t_consumed = time.monotonic()
    print("kafka-python %s: create %.1fs, produce %.1fs, consume %.1fs" % (
        codec, t_created - start, t_produced - t_created, t_consumed - t_produced))
    return checker.report("kafka-python " + codec)


if __name__ == "__main__":
    sys.exit(main())
