#!/usr/bin/python3
"""kafka-python 2.0.2 scenarios for capture_requests.py.

Usage: /usr/bin/python3 kafka_python_scenarios.py BOOTSTRAP SCENARIO [--hold]
SCENARIO: produce | consume | admin   (kafka-python 2.0.2 has no idempotent
or transactional producer). Exits 0 on success, 1 with a FAIL line otherwise.
"""

import sys
import time

import kafka
from kafka.admin import KafkaAdminClient, NewTopic

from hold import fail, hold

TOPIC = "karst-golden"
DEADLINE_S = 20.0
KEYS = [b"alpha", b"bravo", b"charlie"]
CLIENT_ID = "karst-capture-kafka-python"


def produce(bootstrap):
    p = kafka.KafkaProducer(bootstrap_servers=bootstrap, client_id=CLIENT_ID,
                            acks="all", compression_type=None, linger_ms=5)
    futures = [p.send(TOPIC, key=k, value=b"value-%d" % i,
                      timestamp_ms=1700000000000 + i,
                      headers=[("h", b"1")] if i == 0 else None)
               for i, k in enumerate(KEYS)]
    p.flush(DEADLINE_S)
    for f in futures:
        f.get(DEADLINE_S)
    p.close(DEADLINE_S)


def consume(bootstrap, do_hold):
    c = kafka.KafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, client_id=CLIENT_ID,
        group_id="karst-golden-group", auto_offset_reset="earliest",
        enable_auto_commit=False, heartbeat_interval_ms=100,
        session_timeout_ms=6000, fetch_max_wait_ms=100)
    got = []
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline and len(got) < len(KEYS):
        for records in c.poll(timeout_ms=100).values():
            got.extend(records)
    if len(got) < len(KEYS):
        fail("consume: got %d messages" % len(got))
    c.commit()
    if do_hold:
        hold(lambda: c.poll(timeout_ms=50))
    c.close()


def admin(bootstrap):
    a = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=CLIENT_ID)
    resp = a.create_topics([NewTopic("karst-admin", num_partitions=2,
                                     replication_factor=1)])
    for _, err, *_ in resp.topic_errors:
        if err:
            fail("create_topics error %d" % err)
    resp = a.delete_topics(["karst-admin"])
    for _, err in resp.topic_error_codes:
        if err:
            fail("delete_topics error %d" % err)
    a.close()


def main():
    bootstrap, scenario = sys.argv[1], sys.argv[2]
    if scenario == "produce":
        produce(bootstrap)
    elif scenario == "consume":
        consume(bootstrap, "--hold" in sys.argv)
    elif scenario == "admin":
        admin(bootstrap)
    else:
        fail("unknown scenario %s" % scenario)
    print("OK %s" % scenario, flush=True)


if __name__ == "__main__":
    main()
