#!/usr/bin/python3
"""librdkafka 2.0.2 scenarios (confluent-kafka-python) for capture_requests.py.

Usage: /usr/bin/python3 rdkafka_scenarios.py BOOTSTRAP SCENARIO [--hold]
SCENARIO: produce | idempotent | transactional | consume | admin
Exits 0 when the client reports success, 1 (with a FAIL line) otherwise.
"""

import sys
import time

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

from hold import fail, hold

TOPIC = "karst-golden"
DEADLINE_S = 20.0
KEYS = [b"alpha", b"bravo", b"charlie"]


def base_conf(bootstrap):
    return {"bootstrap.servers": bootstrap, "broker.address.family": "v4",
            "client.id": "karst-capture-rdkafka"}


def produce_keyed(bootstrap, topic, extra):
    conf = dict(base_conf(bootstrap), **{"acks": "all",
                                         "compression.type": "none",
                                         "linger.ms": 5})
    conf.update(extra)
    p = ck.Producer(conf)
    errors = []
    delivered = []

    def on_delivery(err, msg):
        (errors if err else delivered).append(err or msg)

    if "transactional.id" in conf:
        p.init_transactions(DEADLINE_S)
        p.begin_transaction()
    for i, key in enumerate(KEYS):
        p.produce(topic, key=key, value=b"value-%d" % i, on_delivery=on_delivery,
                  timestamp=1700000000000 + i,
                  headers=[("h", b"1")] if i == 0 else None)
    if "transactional.id" in conf:
        c = ck.Consumer(dict(base_conf(bootstrap), **{
            "group.id": "karst-golden-txn-group"}))
        p.send_offsets_to_transaction(
            [ck.TopicPartition(topic, 0, 1)], c.consumer_group_metadata(),
            DEADLINE_S)
        p.commit_transaction(DEADLINE_S)
        c.close()
    left = p.flush(DEADLINE_S)
    if left or errors or len(delivered) != len(KEYS):
        fail("produce: %d undelivered, errors %r" % (left, errors))


def consume(bootstrap, do_hold):
    c = ck.Consumer(dict(base_conf(bootstrap), **{
        "group.id": "karst-golden-group", "auto.offset.reset": "earliest",
        "enable.auto.commit": False, "enable.partition.eof": True,
        "heartbeat.interval.ms": 100, "session.timeout.ms": 6000,
        "fetch.wait.max.ms": 100}))
    c.subscribe([TOPIC])
    got = []
    eof = set()
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        m = c.poll(0.1)
        if m is None:
            continue
        if m.error():
            if m.error().code() == ck.KafkaError._PARTITION_EOF:
                eof.add(m.partition())
                if len(got) >= len(KEYS) and len(eof) >= len(c.assignment()):
                    break
                continue
            fail("consume: %s" % m.error())
        got.append(m)
    if len(got) < len(KEYS):
        fail("consume: got %d messages" % len(got))
    c.commit(asynchronous=False)
    if do_hold:
        hold(lambda: c.poll(0.05))
    c.close()


def admin(bootstrap):
    a = AdminClient(base_conf(bootstrap))
    for f in a.create_topics([NewTopic("karst-admin", num_partitions=2,
                                       replication_factor=1)],
                             operation_timeout=5).values():
        f.result(DEADLINE_S)
    for f in a.delete_topics(["karst-admin"], operation_timeout=5).values():
        f.result(DEADLINE_S)


def main():
    bootstrap, scenario = sys.argv[1], sys.argv[2]
    do_hold = "--hold" in sys.argv
    if scenario == "produce":
        produce_keyed(bootstrap, TOPIC, {"enable.idempotence": False})
    elif scenario == "idempotent":
        produce_keyed(bootstrap, TOPIC + "-idem", {"enable.idempotence": True})
    elif scenario == "transactional":
        produce_keyed(bootstrap, TOPIC + "-txn",
                      {"transactional.id": "karst-golden-txn"})
    elif scenario == "consume":
        consume(bootstrap, do_hold)
    elif scenario == "admin":
        admin(bootstrap)
    else:
        fail("unknown scenario %s" % scenario)
    print("OK %s" % scenario, flush=True)


if __name__ == "__main__":
    main()
