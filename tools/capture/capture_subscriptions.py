#!/usr/bin/python3
"""Captures the ConsumerProtocol subscriptions librdkafka sends in JoinGroup.

Runs confluent_kafka.Consumer (librdkafka) against a FakeBroker that also
serves JoinGroup v0-5: the first JoinGroup of each scenario has its protocols'
metadata saved as client/testdata/consumer_protocol/<scenario>-<assignor>.bin,
then the consumer is closed (the join is never answered). The client's
consumer_protocol_golden_test decodes them.

    /usr/bin/python3 tools/capture/capture_subscriptions.py
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_broker  # noqa: E402
from fake_broker import FakeBroker, NO_RESPONSE  # noqa: E402

import confluent_kafka  # noqa: E402

API_JOIN_GROUP = 11
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "client", "testdata", "consumer_protocol")

SCENARIOS = [
    # (name, extra consumer config)
    ("eager", {"partition.assignment.strategy": "range,roundrobin"}),
    ("cooperative", {"partition.assignment.strategy": "cooperative-sticky"}),
]
TOPICS = ["topic-a", "topic-b"]


class JoinBroker(FakeBroker):
    supported = dict(fake_broker.SUPPORTED)
    supported[API_JOIN_GROUP] = (0, 5)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.joins = []  # (api_version, [(protocol name, metadata bytes)])
        self.joined = threading.Event()

    def _dispatch(self, api_key, api_version, r, client_id):
        if api_key != API_JOIN_GROUP:
            return super()._dispatch(api_key, api_version, r, client_id)
        r.nullable_string()  # group_id
        r.int32()  # session_timeout_ms
        if api_version >= 1:
            r.int32()  # rebalance_timeout_ms
        r.nullable_string()  # member_id
        if api_version >= 5:
            r.nullable_string()  # group_instance_id
        r.nullable_string()  # protocol_type
        protocols = []
        for _ in range(r.int32()):
            protocols.append((r.nullable_string(), r.nullable_bytes()))
        with self.lock:
            self.joins.append((api_version, protocols))
        self.joined.set()
        return NO_RESPONSE  # Never answered: the consumer waits until closed.


def capture(name, config):
    broker = JoinBroker()
    port = broker.start()
    consumer = confluent_kafka.Consumer(dict(
        {"bootstrap.servers": "127.0.0.1:%d" % port, "group.id": "capture",
         "enable.auto.commit": False, "log_level": 0}, **config))
    try:
        consumer.subscribe(TOPICS)
        deadline = time.time() + 20
        while not broker.joined.is_set() and time.time() < deadline:
            consumer.poll(0.2)
        if not broker.joined.is_set():
            raise SystemExit("%s: no JoinGroup within 20 s" % name)
    finally:
        consumer.close()
        broker.stop()
    version, protocols = broker.joins[0]
    os.makedirs(OUT_DIR, exist_ok=True)
    for protocol, metadata in protocols:
        path = os.path.join(OUT_DIR, "%s-%s.bin" % (name, protocol))
        with open(path, "wb") as f:
            f.write(metadata)
        print("%s: JoinGroup v%d %s %d bytes: %s" % (
            name, version, protocol, len(metadata), metadata.hex()))


def main():
    print("librdkafka %s" % confluent_kafka.libversion()[0])
    for name, config in SCENARIOS:
        capture(name, config)


if __name__ == "__main__":
    main()
