#!/usr/bin/python3
"""A consumer group member of mixed_group.py, with kafka-python 2.0.2.

Subscribes to TOPIC in GROUP with RoundRobinPartitionAssignor ("roundrobin") and
enable_auto_commit=False, processes each poll's records (logging every one), then commits
their positions synchronously. Events go to LOG_FILE (member_log.py), with the generation
kafka-python joined. SIGTERM: stop processing, log the revocation, close cleanly
(LeaveGroup) and exit 0.

Usage: /usr/bin/python3 kafka_python_member.py BOOTSTRAP TOPIC GROUP NAME LOG_FILE
KARST_SESSION_TIMEOUT_MS (default 6000) sets session_timeout_ms.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafka  # noqa: E402
from kafka.consumer.subscription_state import ConsumerRebalanceListener  # noqa: E402
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402
from kafka.structs import OffsetAndMetadata, TopicPartition  # noqa: E402
from member_log import MemberLog  # noqa: E402


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic, group, name, log_file = sys.argv[1:]
    log = MemberLog(log_file, name, "kafka-python")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, client_id=name,
        enable_auto_commit=False, auto_offset_reset="earliest",
        partition_assignment_strategy=[RoundRobinPartitionAssignor],
        session_timeout_ms=int(os.environ.get("KARST_SESSION_TIMEOUT_MS", "6000")),
        heartbeat_interval_ms=1000, max_poll_interval_ms=30000)
    owned = set()

    def generation():
        g = getattr(consumer._coordinator, "_generation", None)  # noqa: SLF001
        return None if g is None or g.generation_id < 0 else g.generation_id

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            ps = sorted(tp.partition for tp in revoked if tp.partition in owned)
            owned.difference_update(ps)
            log.event("revoked", partitions=ps, generation=generation())

        def on_partitions_assigned(self, assigned):
            ps = sorted(tp.partition for tp in assigned)
            owned.update(ps)
            log.event("assigned", partitions=ps, generation=generation())

    consumer.subscribe([topic], listener=Listener())
    log.event("started")
    while not stop:
        positions = {}
        for tp, msgs in consumer.poll(timeout_ms=500, max_records=200).items():
            if tp.partition not in owned:
                continue
            for m in msgs:
                log.event("processed", flush=False, partition=m.partition, offset=m.offset,
                          value=m.value.decode())
                positions[m.partition] = m.offset + 1
        if not positions:
            continue
        log.flush()
        gen = generation()
        sent = int(time.time() * 1000)
        try:
            consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, None)
                             for p, o in positions.items()})
        except KafkaError as e:
            log.event("commit_failed", error=repr(e))
            continue
        for p, o in sorted(positions.items()):
            log.event("committed", flush=False, partition=p, offset=o, sent=sent, generation=gen)
        log.flush()
    log.event("revoked", partitions=sorted(owned), generation=generation())
    owned.clear()
    consumer.close(autocommit=False)
    log.event("closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
