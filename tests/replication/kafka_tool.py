#!/usr/bin/python3
"""Client-side steps of the replication tests, with confluent-kafka (librdkafka 2.0.2).

  create      BOOTSTRAP TOPIC PARTITIONS RF [key=value ...]  create a topic once RF brokers are
              live, then wait until every partition has a leader
  describe    BOOTSTRAP TOPIC                 one line per partition: "p leader isr,isr"
  produce     BOOTSTRAP TOPIC COUNT OUT [--first=N] [--rate=R] [--stop-file=F] [key=value ...]
              produce COUNT records (value = sequence number N, N + 1, ...; N defaults to 0;
              COUNT 0: until F exists) with acks=all, at most R records a second when --rate is given, and
              stop producing as soon as F exists. key=value entries are producer settings.
              Append "seq partition offset" of each acknowledged record to OUT, one line per
              record, flushed as it is acknowledged; at the end wait for every outstanding
              record and print "sent S acked N failed M errors NAME:count,..." ("-" if none)
  verify      BOOTSTRAP TOPIC ACKED_FILE      read every partition to its high watermark
              (retrying metadata and watermark lookups while leadership moves); exit 1 if an
              acknowledged record is missing or, for lines with a position, is not the record
              at that partition and offset; print "read N acked M missing K misplaced J"
Exit codes: 0 ok, 1 check failed, 2 usage or client error.
"""
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def props(args):
    return dict(a.split("=", 1) for a in args)


def create(bootstrap, topic, partitions, rf, *extra):
    # A karstd broker answers Metadata before it has caught up with the metadata log, with no
    # brokers and controller -1, and a librdkafka client that got such an answer first does
    # not recover for a long time (its metadata request is not retried; admin requests wait for a
    # controller). So poll with a fresh client until RF brokers and a controller are listed.
    deadline = time.monotonic() + 30
    while True:
        admin = AdminClient({"bootstrap.servers": bootstrap})
        try:
            md = admin.list_topics(timeout=2)
            if len(md.brokers) >= int(rf) and md.controller_id >= 0:
                break
            last = "brokers %s, controller %d" % (sorted(md.brokers), md.controller_id)
        except KafkaException as e:
            last = str(e)
        if time.monotonic() >= deadline:
            print("fewer than %s brokers after 30 s: %s" % (rf, last))
            return 2
        time.sleep(0.1)
    futures = admin.create_topics(
        [NewTopic(topic, int(partitions), int(rf), config=props(extra))], request_timeout=30)
    futures[topic].result(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        md = admin.list_topics(topic, timeout=10).topics.get(topic)
        if md and md.error is None and len(md.partitions) == int(partitions) and all(
                p.leader >= 0 for p in md.partitions.values()):
            return 0
        time.sleep(0.1)
    print("topic %s has no leaders after 30 s" % topic)
    return 2


def describe(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(topic, timeout=10).topics[topic]
    if md.error is not None:
        raise KafkaException(md.error)
    for p in sorted(md.partitions.values(), key=lambda p: p.id):
        print("%d %d %s" % (p.id, p.leader, ",".join(str(i) for i in p.isrs)))
    return 0


def produce(bootstrap, topic, count, out, *extra):
    flags = dict(a[2:].split("=", 1) for a in extra if a.startswith("--"))
    unknown = set(flags) - {"first", "rate", "stop-file"}
    if unknown:
        raise ValueError("unknown flags %s" % sorted(unknown))
    rate = float(flags.get("rate", "0"))
    stop_file = flags.get("stop-file")
    first = int(flags.get("first", "0"))
    count = int(count)
    if count <= 0 and stop_file is None:
        raise ValueError("COUNT 0 needs --stop-file")
    config = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
              "message.timeout.ms": 60000, "retry.backoff.ms": 100,
              "topic.metadata.refresh.interval.ms": 1000}
    config.update(props(a for a in extra if not a.startswith("--")))
    producer = Producer(config)
    acked = open(out, "a")
    state = {"acked": 0, "failed": 0, "errors": {}}

    def report(err, msg):
        if err is None:
            acked.write("%s %d %d\n" % (msg.value().decode(), msg.partition(), msg.offset()))
            acked.flush()
            state["acked"] += 1
        else:
            state["failed"] += 1
            state["errors"][err.name()] = state["errors"].get(err.name(), 0) + 1

    start = time.monotonic()
    sent = 0
    while count <= 0 or sent < count:
        if stop_file is not None and os.path.exists(stop_file):
            break
        if rate > 0:
            wait = start + sent / rate - time.monotonic()
            if wait > 0:
                producer.poll(min(wait, 0.05))
                continue
        try:
            producer.produce(topic, key=str(sent % 97), value=str(first + sent),
                             on_delivery=report)
        except BufferError:
            producer.poll(0.1)
            continue
        sent += 1
        producer.poll(0)
    left = producer.flush(int(config["message.timeout.ms"]) / 1000.0 + 30)
    errors = ",".join("%s:%d" % e for e in sorted(state["errors"].items())) or "-"
    print("sent %d acked %d failed %d errors %s" % (sent, state["acked"], state["failed"], errors))
    if left:
        print("%d records still unacknowledged after the flush" % left)
        return 2
    return 0


def retry(what, call, deadline):
    while True:
        try:
            return call()
        except KafkaException as e:
            if time.monotonic() >= deadline:
                raise
            print("retrying %s: %s" % (what, e))
            time.sleep(0.2)


def verify(bootstrap, topic, acked_file):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    deadline = time.monotonic() + 60

    def partitions():
        md = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if md is None or md.error is not None or not md.partitions or any(
                p.leader < 0 for p in md.partitions.values()):
            raise KafkaException("topic %s: no leader for every partition yet (%s)" %
                                 (topic, md and md.error))
        return sorted(md.partitions)

    log = {}  # (partition, offset) -> value
    seen = set()
    read = 0
    for p in retry("metadata", partitions, deadline):
        tp = TopicPartition(topic, p)
        low, high = retry("watermarks of partition %d" % p,
                          lambda: consumer.get_watermark_offsets(tp, timeout=10), deadline)
        if high <= low:
            continue
        consumer.assign([TopicPartition(topic, p, low)])
        position = low
        while position < high and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                print("partition %d: %s" % (p, msg.error()))
                continue
            value = int(msg.value())
            log[(p, msg.offset())] = value
            seen.add(value)
            read += 1
            position = msg.offset() + 1
        if position < high:
            print("partition %d: read to %d of %d before the deadline" % (p, position, high))
            return 1
    consumer.close()
    acked = set()
    misplaced = []
    for line in open(acked_file):
        fields = line.split()
        if not fields:
            continue
        acked.add(int(fields[0]))
        if len(fields) == 3:
            where = (int(fields[1]), int(fields[2]))
            if log.get(where) != int(fields[0]):
                misplaced.append("%s at %d/%d: %s" % (fields[0], where[0], where[1],
                                                     log.get(where, "absent")))
    missing = sorted(acked - seen)
    print("read %d acked %d missing %d misplaced %d %s %s" %
          (read, len(acked), len(missing), len(misplaced), missing[:20], misplaced[:20]))
    return 1 if missing or misplaced else 0


def main(argv):
    commands = {"create": create, "describe": describe, "produce": produce, "verify": verify}
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
