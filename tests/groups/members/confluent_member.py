#!/usr/bin/python3
"""A consumer group member of mixed_group.py, with confluent-kafka (librdkafka 2.0.2).

Subscribes to TOPIC in GROUP with the "roundrobin" assignor and enable.auto.commit=false,
processes each batch (logging every record), then commits the batch's positions
synchronously. Events go to LOG_FILE (member_log.py). SIGTERM: stop processing, log the
revocation, close cleanly (LeaveGroup) and exit 0.

Usage: /usr/bin/python3 confluent_member.py BOOTSTRAP TOPIC GROUP NAME LOG_FILE
KARST_SESSION_TIMEOUT_MS (default 6000) sets session.timeout.ms.
"""
import os
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from confluent_kafka import Consumer, KafkaException, TopicPartition  # noqa: E402
from member_log import MemberLog  # noqa: E402


def generation_of(consumer):
    """The generation librdkafka joined, from its serialized group metadata ("CGMDv2:", then
    the generation id as a native int32), or None."""
    md = consumer.consumer_group_metadata()
    if isinstance(md, bytes) and md.startswith(b"CGMDv2:") and len(md) >= 11:
        generation = struct.unpack("=i", md[7:11])[0]
        return generation if generation >= 0 else None
    return None


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic, group, name, log_file = sys.argv[1:]
    log = MemberLog(log_file, name, "confluent")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "roundrobin",
        "session.timeout.ms": int(os.environ.get("KARST_SESSION_TIMEOUT_MS", "6000")),
        "heartbeat.interval.ms": 1000,
        "max.poll.interval.ms": 30000,
    })
    owned = set()

    def on_assign(_, partitions):
        ps = sorted(p.partition for p in partitions)
        owned.update(ps)
        log.event("assigned", partitions=ps, generation=generation_of(consumer))

    def on_revoke(_, partitions):
        ps = sorted(p.partition for p in partitions if p.partition in owned)
        owned.difference_update(ps)
        log.event("revoked", partitions=ps, generation=generation_of(consumer))

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    log.event("started")
    while not stop:
        positions = {}
        for m in consumer.consume(num_messages=200, timeout=0.5):
            if m.error():
                log.event("error", error=str(m.error()))
                continue
            # A batch may hold records fetched before a revocation served in the same call.
            if m.partition() not in owned:
                continue
            log.event("processed", flush=False, partition=m.partition(), offset=m.offset(),
                      value=m.value().decode())
            positions[m.partition()] = m.offset() + 1
        if not positions:
            continue
        log.flush()
        sent, gen = int(time.time() * 1000), generation_of(consumer)
        try:
            consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in positions.items()],
                            asynchronous=False)
        except KafkaException as e:
            log.event("commit_failed", error=str(e))
            continue
        for p, o in sorted(positions.items()):
            log.event("committed", flush=False, partition=p, offset=o, sent=sent, generation=gen)
        log.flush()
    log.event("revoked", partitions=sorted(owned), generation=generation_of(consumer))
    owned.clear()
    consumer.close()
    log.event("closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
