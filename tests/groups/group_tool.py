#!/usr/bin/python3
"""Client-side steps of coordinator_failover_test and compaction_test (issue #9), with
confluent-kafka (librdkafka 2.0.2).

  create   BOOTSTRAP TOPIC PARTITIONS [key=value ...]
           create TOPIC (replication factor 3, or rf=N; topic configs key=value) once 3
           brokers are listed, and wait until every partition has a leader
  produce  BOOTSTRAP TOPIC COUNT ACKED
           produce COUNT keyed records with unique values "r000042" at acks=all; write
           "value partition offset" of each to ACKED; exit 1 unless all are acknowledged
  commit   BOOTSTRAP TOPIC GROUP COMMITTED [EVERY]
           consume in GROUP (subscribe, manual commits) up to the middle of every partition
           (half its high watermark), commit those positions synchronously, write "partition
           offset" lines to COMMITTED and close (LeaveGroup); with EVERY, also commit the
           position after every EVERY records (many __consumer_offsets records)
  resume   BOOTSTRAP TOPIC GROUP ACKED COMMITTED
           consume in GROUP until every partition's last acknowledged record; exit 1 unless
           each partition restarted exactly at its committed offset (nothing before it
           re-delivered), then read every offset in order (nothing skipped) with the acked
           values; finally commit the end positions
  updates  BOOTSTRAP TOPIC KEYS UPDATES TOMBSTONES EXPECTED
           produce UPDATES rounds of a value for each of KEYS keys, then tombstones for the
           first TOMBSTONES keys, then two more rounds for the other keys (so the tombstones
           leave the active segment); write {"produced": n, "latest": {key: value|null}} to
           EXPECTED
  compacted BOOTSTRAP TOPIC EXPECTED
           read every partition from the beginning to its high watermark; exit 0 only if
           fewer records than produced remain (the cleaner ran), offsets increase, each
           key's last record holds its latest value and no tombstoned key appears at all;
           print what was read
Exit codes: 0 ok, 1 check failed, 2 usage or client error. KARST_RDKAFKA_DEBUG (e.g.
"cgrp,fetch") turns on librdkafka's debug logs.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

FILLER = "x" * 80


def create_topic(bootstrap, topic, partitions, deadline, rf=3, config=None):
    """Waits (until `deadline`, time.monotonic()) for 3 brokers and a controller, creates the
    topic, then waits (30 s more) for a leader on every partition. RuntimeError otherwise."""
    while True:
        admin = AdminClient({"bootstrap.servers": bootstrap})
        try:
            md = admin.list_topics(timeout=2)
            if len(md.brokers) >= 3 and md.controller_id >= 0:
                break
        except KafkaException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("fewer than 3 brokers in metadata")
        time.sleep(0.1)
    admin.create_topics([NewTopic(topic, int(partitions), rf, config=config or {})],
                        request_timeout=30)[topic].result(30)
    while time.monotonic() < deadline + 30:
        md = admin.list_topics(topic, timeout=5).topics.get(topic)
        if md and md.error is None and len(md.partitions) == int(partitions) and all(
                p.leader >= 0 for p in md.partitions.values()):
            return
        time.sleep(0.1)
    raise RuntimeError("topic %s has no leader for every partition" % topic)


def create(bootstrap, topic, partitions, *configs):
    config = dict(c.split("=", 1) for c in configs)
    rf = int(config.pop("rf", "3"))
    try:
        create_topic(bootstrap, topic, partitions, time.monotonic() + 30, rf, config)
    except RuntimeError as e:
        print(e)
        return 2
    return 0


def send_all(bootstrap, topic, records, **config):
    """records: [(key, value)]; returns [(key, value, partition, offset)] or exits 1."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                         "message.timeout.ms": 60000, **config})
    acked, errors = [], []

    def on_delivery(err, msg):
        if err is not None:
            errors.append("%s: %s" % (msg.key(), err))
        else:
            acked.append((msg.key().decode(), msg.value() and msg.value().decode(),
                          msg.partition(), msg.offset()))

    for key, value in records:
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    left = producer.flush(90)
    if left or errors:
        print("%d unacknowledged, errors: %s" % (left, errors[:20]))
        sys.exit(1)
    return acked


def produce(bootstrap, topic, count, acked_file):
    acked = send_all(bootstrap, topic, [("k%03d" % (i % 97), "r%06d" % i)
                                        for i in range(int(count))])
    with open(acked_file, "w") as f:
        for _, value, p, o in acked:
            f.write("%s %d %d\n" % (value, p, o))
    print("produced %d records" % len(acked))
    return 0


def debug_conf():
    """KARST_RDKAFKA_DEBUG (e.g. "cgrp,fetch") turns on librdkafka's debug logs."""
    debug = os.environ.get("KARST_RDKAFKA_DEBUG")
    return {"debug": debug} if debug else {}


def group_consumer(bootstrap, group):
    return Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "enable.auto.commit": False, "enable.auto.offset.store": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                     **debug_conf()})


def describe(consumer, topic):
    """Leaders, the assignment and positions, for failure messages."""
    try:
        md = consumer.list_topics(topic, timeout=5).topics[topic]
        leaders = {p: m.leader for p, m in md.partitions.items()}
        assignment = consumer.assignment()
        positions = consumer.position(assignment) if assignment else []
        return "leaders %s, assignment %s, positions %s" % (
            sorted(leaders.items()), [tp.partition for tp in assignment],
            [(tp.partition, tp.offset) for tp in positions])
    except KafkaException as e:
        return "(no description: %s)" % e


def commit(bootstrap, topic, group, committed_file, every="0"):
    every = int(every)
    consumer = group_consumer(bootstrap, group)
    consumer.subscribe([topic])
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    # Stop in the middle of every partition, so that the resumed consumer must neither go
    # back nor skip ahead anywhere.
    half = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] // 2
            for p in partitions}
    positions, n = {}, 0
    deadline = time.monotonic() + 60
    while any(positions.get(p, 0) < h for p, h in half.items()):
        if time.monotonic() > deadline:
            print("processed to %s, want %s, in 60 s; %s" % (
                sorted(positions.items()), sorted(half.items()), describe(consumer, topic)))
            return 1
        for m in consumer.consume(num_messages=100, timeout=0.5):
            if m.error():
                print("consume error: %s" % m.error())
                continue
            if m.offset() < half[m.partition()]:
                positions[m.partition()] = m.offset() + 1
                n += 1
                if every and n % every == 0:
                    consumer.commit(offsets=[TopicPartition(topic, m.partition(), m.offset() + 1)],
                                    asynchronous=False)
    consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in positions.items()],
                    asynchronous=False)
    consumer.close()
    with open(committed_file, "w") as f:
        for p, o in sorted(positions.items()):
            f.write("%d %d\n" % (p, o))
    print("processed %d records, committed %s" % (n, sorted(positions.items())))
    return 0


def resume(bootstrap, topic, group, acked_file, committed_file):
    acked = {}
    for line in open(acked_file):
        value, p, o = line.split()
        acked[(int(p), int(o))] = value
    committed = dict(tuple(map(int, line.split())) for line in open(committed_file))
    ends = {}
    for p, o in acked:
        ends[p] = max(ends.get(p, 0), o + 1)
    consumer = group_consumer(bootstrap, group)
    consumer.subscribe([topic])
    next_offset = {p: committed.get(p, 0) for p in ends}  # partition -> the offset expected next
    problems = []
    deadline = time.monotonic() + 60
    while any(next_offset.get(p, -1) < e for p, e in ends.items()):
        if time.monotonic() > deadline:
            problems.append("read to %s, want %s, in 60 s; %s" % (
                sorted(next_offset.items()), sorted(ends.items()), describe(consumer, topic)))
            break
        for m in consumer.consume(num_messages=500, timeout=0.5):
            if m.error():
                print("consume error: %s" % m.error())
                continue
            p, o = m.partition(), m.offset()
            want = next_offset[p]
            if o != want:
                problems.append("partition %d: offset %d delivered, want %d (%s)" % (
                    p, o, want, "re-delivered" if o < want else "skipped"))
            if acked.get((p, o)) != m.value().decode():
                problems.append("partition %d offset %d: value %s, acked %s" % (
                    p, o, m.value().decode(), acked.get((p, o))))
            next_offset[p] = o + 1
    if not problems:
        consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in next_offset.items()],
                        asynchronous=False)
    consumer.close()
    print("resumed from %s, read to %s" % (sorted(committed.items()), sorted(next_offset.items())))
    for line in problems[:20]:
        print("  " + line)
    return 1 if problems else 0


def updates(bootstrap, topic, keys, rounds, tombstones, expected_file):
    keys, rounds, tombstones = int(keys), int(rounds), int(tombstones)
    names = ["key%03d" % k for k in range(keys)]
    records = [(k, "%s-v%03d-%s" % (k, u, FILLER)) for u in range(rounds) for k in names]
    records += [(k, None) for k in names[:tombstones]]
    records += [(k, "%s-v%03d-%s" % (k, u, FILLER)) for u in range(rounds, rounds + 2)
                for k in names[tombstones:]]
    # Small batches, so that the partitions roll many segments (segment.bytes) and the
    # tombstones end up in closed ones, which the cleaner may touch.
    send_all(bootstrap, topic, records, **{"batch.num.messages": 16})
    latest = {}
    for k, v in records:
        latest[k] = v
    with open(expected_file, "w") as f:
        json.dump({"produced": len(records), "latest": latest}, f)
    print("produced %d records (%d keys, %d tombstones)" % (len(records), keys, tombstones))
    return 0


def compacted(bootstrap, topic, expected_file):
    expected = json.load(open(expected_file))
    latest = expected["latest"]
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                         "enable.auto.commit": False})
    md = consumer.list_topics(topic, timeout=10).topics[topic]
    last_value, problems, read, gaps = {}, [], 0, 0
    for p in sorted(md.partitions):
        tp = TopicPartition(topic, p)
        low, high = consumer.get_watermark_offsets(tp, timeout=10)
        consumer.assign([TopicPartition(topic, p, low)])
        position, prev = low, None
        deadline = time.monotonic() + 30
        while position < high:
            if time.monotonic() > deadline:
                print("partition %d: read to %d of %d in 30 s" % (p, position, high))
                return 2
            m = consumer.poll(0.5)
            if m is None:
                continue
            if m.error():
                print("partition %d: %s" % (p, m.error()))
                continue
            if prev is not None and m.offset() <= prev:
                problems.append("partition %d: offset %d after %d" % (p, m.offset(), prev))
            gaps += prev is not None and m.offset() > prev + 1
            prev = position = m.offset()
            position += 1
            read += 1
            key = m.key().decode()
            last_value[key] = None if m.value() is None else m.value().decode()
            if latest.get(key, "") is None:
                problems.append("partition %d offset %d: tombstoned key %s still present (%s)" % (
                    p, m.offset(), key, "tombstone" if m.value() is None else "value"))
    consumer.close()
    for key, value in sorted(latest.items()):
        if value is not None and last_value.get(key) != value:
            problems.append("key %s: last value %s, want %s" % (
                key, (last_value.get(key) or "none")[:12], value[:12]))
    if read >= expected["produced"]:
        problems.append("read %d records of %d produced: not compacted yet" % (
            read, expected["produced"]))
    print("read %d of %d records produced, %d offset gaps, %d problems" % (
        read, expected["produced"], gaps, len(problems)))
    for line in problems[:10]:
        print("  " + line)
    return 1 if problems else 0


def main(argv):
    commands = {"create": create, "produce": produce, "commit": commit, "resume": resume,
                "updates": updates, "compacted": compacted}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__)
        return 2
    try:
        return commands[argv[1]](*argv[2:])
    except (KafkaException, TypeError, ValueError) as e:
        print("error: %s" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
