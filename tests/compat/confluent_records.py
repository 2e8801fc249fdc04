#!/usr/bin/python3
"""Produce or read keyed records with headers through confluent-kafka (librdkafka).

  confluent_records.py produce BOOTSTRAP TOPIC CODEC LINES_FILE
      Sends each line "key:value" of LINES_FILE with compression.type CODEC, acks=all,
      librdkafka's murmur2_random partitioner (Java's), and the headers
      h=hv-<value> and x=1. Exits 1 if any record failed.
  confluent_records.py consume BOOTSTRAP TOPIC COUNT
      Reads COUNT records from every partition of TOPIC from the beginning (assign, no group)
      and prints each as "key|value|name=value,name=value" (headers in order; a null value
      prints as "name=<null>"). Exits 1 if COUNT records do not arrive within 60 seconds.

Used by //tests:karst_produce_consume_test; run with /usr/bin/python3 (Debian's
python3-confluent-kafka).
"""
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def produce(bootstrap, topic, codec, path):
    failed = []

    def done(err, _msg):
        if err is not None:
            failed.append(str(err))

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                         "compression.type": codec, "partitioner": "murmur2_random",
                         "linger.ms": 20})
    with open(path) as lines:
        for line in lines:
            key, value = line.rstrip("\n").split(":", 1)
            producer.produce(topic, value.encode(), key.encode(), on_delivery=done,
                             headers=[("h", ("hv-" + value).encode()), ("x", b"1")])
            producer.poll(0)
    producer.flush(60)
    if failed:
        print("%d records failed, first: %s" % (len(failed), failed[0]), file=sys.stderr)
        return 1
    return 0


def consume(bootstrap, topic, count):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                         "enable.auto.commit": False, "check.crcs": True})
    metadata = consumer.list_topics(topic, timeout=30).topics[topic]
    consumer.assign([TopicPartition(topic, p, -2) for p in metadata.partitions])
    got = 0
    deadline = time.monotonic() + 60
    while got < count and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        headers = ",".join("%s=%s" % (k, "<null>" if v is None else v.decode())
                           for k, v in (msg.headers() or []))
        print("%s|%s|%s" % (msg.key().decode(), msg.value().decode(), headers))
        got += 1
    consumer.close()
    if got < count:
        print("read %d of %d records" % (got, count), file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) == 6 and argv[1] == "produce":
        return produce(argv[2], argv[3], argv[4], argv[5])
    if len(argv) == 5 and argv[1] == "consume":
        return consume(argv[2], argv[3], int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
