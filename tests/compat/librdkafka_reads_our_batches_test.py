#!/usr/bin/python3
"""librdkafka reads back the record batches our C++ BatchBuilder encodes.

For every codec, DIR/<codec>.bin (batches written by //kafka/record:
write_test_batches) is served by tools/capture/fetch_broker.py on 127.0.0.1,
and a real confluent_kafka.Consumer (librdkafka 2.0.2, check.crcs=true)
consumes it. Offsets, keys, values, headers and timestamps must equal
DIR/<codec>.json exactly, with nothing extra before the partition EOF. Each
codec is read from offset 0, from offset 4 (the middle of the second batch:
the client must skip records by offsetDelta) and, for "none", from
OFFSET_BEGINNING (a ListOffsets round trip). A negative control then flips
one value byte of none.bin and requires the same check to fail, so a check
that cannot fail is caught.

Usage: /usr/bin/python3 librdkafka_reads_our_batches_test.py DIR [BROKER_DIR]
  BROKER_DIR holds fetch_broker.py and fake_broker.py (default: the repo's
  tools/capture). Exits 1 naming every mismatch. Set KARST_RDKAFKA_DEBUG to a
  librdkafka debug context list (e.g. "fetch,msg") for client logs.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
TOPIC = "karst-read-back"
RUN_DEADLINE_S = 20.0
POLL_S = 0.2
MID_BATCH_OFFSET = 4
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata",
             9: "OffsetFetch", 10: "FindCoordinator", 18: "ApiVersions"}


def load_expected(path):
    def unhex(s):
        return None if s is None else bytes.fromhex(s)

    with open(path) as f:
        manifest = json.load(f)
    return [{
        "offset": r["offset"],
        "timestamp": r["timestamp"],
        "key": unhex(r["key"]),
        "value": unhex(r["value"]),
        "headers": [(bytes.fromhex(h["key"]).decode("utf-8"), unhex(h["value"]))
                    for h in r["headers"]],
    } for r in manifest["records"]]


def start_label(ck, start):
    return "OFFSET_BEGINNING" if start == ck.OFFSET_BEGINNING else str(start)


def consume(ck, port, start_offset, want):
    """Returns (messages, error): every message up to the partition EOF."""
    conf = {
        "bootstrap.servers": "127.0.0.1:%d" % port,
        "group.id": "karst-read-back",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "check.crcs": True,
        "broker.address.family": "v4",
        "fetch.wait.max.ms": 100,
    }
    if os.environ.get("KARST_RDKAFKA_DEBUG"):
        conf["debug"] = os.environ["KARST_RDKAFKA_DEBUG"]
    consumer = ck.Consumer(conf)
    messages = []
    error = None
    try:
        consumer.assign([ck.TopicPartition(TOPIC, 0, start_offset)])
        deadline = time.monotonic() + RUN_DEADLINE_S
        while time.monotonic() < deadline:
            m = consumer.poll(POLL_S)
            if m is None:
                continue
            if m.error() is None:
                messages.append(m)
            elif m.error().code() == ck.KafkaError._PARTITION_EOF:
                if len(messages) >= want:
                    return messages, None
            else:
                return messages, "consumer error: %s" % m.error()
        error = "deadline: %d of %d records after %.0f s" % (
            len(messages), want, RUN_DEADLINE_S)
    finally:
        consumer.close()
    return messages, error


def compare(ck, messages, expected):
    """Returns a list of mismatch descriptions (empty when equal)."""
    problems = []
    if len(messages) != len(expected):
        problems.append("got %d records, expected %d (offsets %s)" % (
            len(messages), len(expected), [m.offset() for m in messages]))
    for m, e in zip(messages, expected):
        got = {
            "offset": m.offset(),
            "timestamp": m.timestamp(),
            "key": m.key(),
            "value": m.value(),
            "headers": list(m.headers() or []),
        }
        want = dict(e, timestamp=(ck.TIMESTAMP_CREATE_TIME, e["timestamp"]))
        for field in ("offset", "timestamp", "key", "value", "headers"):
            if got[field] != want[field]:
                problems.append("offset %d: %s is %r, expected %r" % (
                    e["offset"], field, got[field], want[field]))
        if m.topic() != TOPIC or m.partition() != 0:
            problems.append("offset %d: from %s[%d]" % (
                e["offset"], m.topic(), m.partition()))
    return problems


def check_log(ck, fetch_broker, data, expected, starts):
    """Serves `data` and reads it from each start; returns (problems, broker)."""
    broker = fetch_broker.FetchBroker({(TOPIC, 0): data})
    port = broker.start()
    problems = []
    try:
        for start in starts:
            first = 0 if start == ck.OFFSET_BEGINNING else start
            want = [e for e in expected if e["offset"] >= first]
            messages, error = consume(ck, port, start, len(want))
            label = "from %s: " % start_label(ck, start)
            if error:
                problems.append(label + error)
            problems += [label + p for p in compare(ck, messages, want)]
    finally:
        broker.stop()
    return problems, broker


def corrupt_a_value(data, expected):
    """Flips one byte of the first record's value inside an uncompressed log."""
    value = expected[0]["value"]
    at = data.find(value)
    if at < 0:
        raise ValueError("value %r is not in the uncompressed batches" % value)
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def negative_control(ck, fetch_broker, batch_dir):
    """Returns (ok, message); ok when one flipped value byte fails the check."""
    with open(os.path.join(batch_dir, "none.bin"), "rb") as f:
        data = f.read()
    expected = load_expected(os.path.join(batch_dir, "none.json"))
    try:
        corrupted = corrupt_a_value(data, expected)
    except ValueError as e:
        return False, str(e)
    problems, _ = check_log(ck, fetch_broker, corrupted, expected, [0])
    if not problems:
        return False, "a flipped value byte in none.bin went unnoticed"
    return True, ("a flipped value byte in none.bin was rejected:\n  "
                  + "\n  ".join(problems))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    batch_dir = sys.argv[1]
    broker_dir = (sys.argv[2] if len(sys.argv) == 3
                  else os.path.join(HERE, "..", "..", "tools", "capture"))
    sys.path.insert(0, os.path.abspath(broker_dir))
    import confluent_kafka as ck
    import fetch_broker

    sys.stdout.reconfigure(line_buffering=True)  # ordered with librdkafka's logs
    print("confluent_kafka %s, librdkafka %s"
          % (ck.version()[0], ck.libversion()[0]))
    passed, failed, used = [], [], set()
    for codec in CODECS:
        with open(os.path.join(batch_dir, codec + ".bin"), "rb") as f:
            data = f.read()
        expected = load_expected(os.path.join(batch_dir, codec + ".json"))
        starts = [0, MID_BATCH_OFFSET]
        if codec == "none":
            starts.append(ck.OFFSET_BEGINNING)
        problems, broker = check_log(ck, fetch_broker, data, expected, starts)
        used |= set(broker.requests)
        if problems:
            failed.append(codec)
            print("FAIL %s:\n  %s" % (codec, "\n  ".join(problems)))
        else:
            passed.append(codec)
            print("PASS %s: %d records in %d batches (%d bytes), read from %s"
                  % (codec, len(expected),
                     len(fetch_broker.split_batches(data)), len(data),
                     ", ".join(start_label(ck, s) for s in starts)))

    ok, message = negative_control(ck, fetch_broker, batch_dir)
    print(("PASS" if ok else "FAIL") + " negative control: " + message)
    if not ok:
        failed.append("negative-control")

    print("librdkafka sent: %s" % ", ".join(
        "%s v%d" % (API_NAMES.get(k, "api %d" % k), v) for k, v in sorted(used)))
    print("passed: %s" % (" ".join(passed) or "-"))
    if failed:
        print("FAILED: %s" % " ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
