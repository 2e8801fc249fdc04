#!/usr/bin/python3
"""Throughput of a running cluster with confluent-kafka (librdkafka 2.0.2).

  tools/bench/produce_consume.py BOOTSTRAP [RECORDS] [RECORD_BYTES]

Creates topic `bench-<time>` (3 partitions, replication factor 3, min.insync.replicas 2),
produces RECORDS keyed records of RECORD_BYTES with acks=all, then reads them back by
partition, and prints records/s and MB/s for each. Start a cluster first, e.g.
`bin/karst cluster up --nodes 3 --detach` (bootstrap servers in .karst/bootstrap.servers).
"""
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    bootstrap = argv[1]
    count = int(argv[2]) if len(argv) > 2 else 500000
    size = int(argv[3]) if len(argv) > 3 else 100
    topic = "bench-%d" % int(time.time())
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, 3, config={"min.insync.replicas": "2"})])[
        topic].result(30)
    deadline = time.monotonic() + 30
    while True:  # Until every partition has a leader (metadata reaches every broker).
        md = admin.list_topics(topic, timeout=10).topics.get(topic)
        if md and md.error is None and all(p.leader >= 0 for p in md.partitions.values()):
            break
        if time.monotonic() > deadline:
            print("topic %s has no leaders after 30 s" % topic)
            return 1
        time.sleep(0.1)

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                         "batch.size": 1000000, "queue.buffering.max.messages": 1000000})
    value = b"x" * size
    failed = []
    start = time.monotonic()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value=value, key=str(i % 1000),
                                 on_delivery=lambda err, _: err and failed.append(err))
                break
            except BufferError:
                producer.poll(0.01)
    producer.flush(300)
    took = time.monotonic() - start
    print("produce acks=all: %d records of %d B in %.2f s = %.0f records/s, %.1f MB/s, %d failed"
          % (count, size, took, count / took, count * size / took / 1e6, len(failed)))

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])
    start = time.monotonic()
    read = 0
    while read < count - len(failed) and time.monotonic() - start < 300:
        read += sum(1 for m in consumer.consume(10000, 5.0) if not m.error())
    took = time.monotonic() - start
    print("consume: %d records in %.2f s = %.0f records/s, %.1f MB/s"
          % (read, took, read / took, read * size / took / 1e6))
    return 0 if read >= count - len(failed) and not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
