#!/usr/bin/python3
"""Regenerates the golden Kafka record batches in kafka/record/testdata/.

Two real clients produce record batches (v2, magic 2) for every codec:
  * kafka-python 2.0.2: its own DefaultRecordBatchBuilder, called directly.
  * librdkafka 2.0.2 (python3-confluent-kafka): a real Producer talking to
    fake_broker.py; the `records` bytes of its Produce requests are saved.
Every batch is then validated (magic, batchLength, CRC-32C, header fields and
the decoded records against what was produced) and MANIFEST.md is rewritten.

Run with Debian's interpreter (the python3 first on PATH may lack the
packages):  /usr/bin/python3 tools/capture/capture.py [--out DIR] [--verify]
  --verify   validate the files already in DIR against the expected content
             and report whether a fresh capture reproduces them (no writes).
Output is deterministic: timestamps are fixed, kafka-python's gzip mtime is
pinned to 0, the fake broker hands out a fixed producer id/epoch.
"""

import argparse
import collections
import gzip
import os
import struct
import sys
import time
import types
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "kafka", "record", "testdata")
sys.path.insert(0, HERE)

import fake_broker  # noqa: E402

TOPIC = "karst-golden"
BASE_TS = 1700000000000  # 2023-11-14T22:13:20Z, firstTimestamp of most batches
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

Rec = collections.namedtuple("Rec", "key value headers ts_delta")

# The standard content: one batch per codec and client. Values repeat so that
# every codec actually shrinks the batch (kafka-python sends a batch
# uncompressed, attributes codec 0, when compression does not help).
STANDARD = [
    Rec(b"key-0", b"karst golden value 0", [("trace-id", b"abc123")], 0),
    Rec(None, b"karst golden value 1", [], 1),
    Rec(b"key-2", None, [("trace-id", b"abc123"), ("tombstone", b"yes")], 1000),
    Rec(b"", b"karst golden value 3", [("empty", b""), ("nullval", None)], 70000),
    Rec(b"key-4", b"karst golden value 4 karst golden value 4",
        [("trace-id", b"def456")], 70001),
]

# ~200 KiB of records that gzip to ~1 KiB: for bounded-decompression tests.
LARGE_VALUE = b"0123456789abcdef" * 256  # 4096 bytes
LARGE = [Rec(b"big-%02d" % i, LARGE_VALUE, [], i) for i in range(50)]

# kafka-python builder with transactional flag and producer id/epoch/sequence.
TXN = [
    Rec(b"txn-0", b"karst txn value 0", [], 0),
    Rec(b"txn-1", b"karst txn value 1", [("h", b"1")], 2),
    Rec(None, b"karst txn value 2", [], 3),
]
TXN_PRODUCER = (1234, 5, 10)  # producerId, producerEpoch, baseSequence

# Second batch of the idempotent librdkafka producer (baseSequence 5).
IDEMPOTENT_2 = [
    Rec(b"key-5", b"karst golden value 5", [], 0),
    Rec(b"key-6", b"karst golden value 6", [("trace-id", b"abc123")], 10),
    Rec(None, b"karst golden value 7", [], 20),
]
IDEMPOTENT_2_TS = BASE_TS + 100000
TXN_ID = "karst-capture-txn"

Golden = collections.namedtuple(
    "Golden",
    "name client codec records first_ts how producer transactional data")


# --------------------------------------------------------------------------
# kafka-python
# --------------------------------------------------------------------------
def kafka_python_batch(codec, records, first_ts, producer=(-1, -1, -1),
                       transactional=False):
    from kafka.record.default_records import DefaultRecordBatchBuilder
    pid, epoch, seq = producer
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=CODECS[codec],
        is_transactional=transactional, producer_id=pid,
        producer_epoch=epoch, base_sequence=seq, batch_size=1 << 24)
    for offset, r in enumerate(records):
        meta = builder.append(offset, first_ts + r.ts_delta, r.key, r.value,
                              r.headers)
        assert meta is not None, "record did not fit"
    # gzip.GzipFile writes time.time() as the member's MTIME; pin it to 0 (as
    # librdkafka and the Java client write) so the output is reproducible.
    with mock.patch.object(gzip, "time", types.SimpleNamespace(time=lambda: 0)):
        return bytes(builder.build())


def capture_kafka_python():
    import kafka
    ver = "kafka-python %s" % kafka.__version__
    out = []
    for codec in CODECS:
        out.append(Golden(
            "kafkapython_%s" % codec, ver, codec, STANDARD, BASE_TS,
            "DefaultRecordBatchBuilder(magic=2, compression_type=%d), "
            "append() per record, build()" % CODECS[codec],
            (-1, -1, -1), False,
            kafka_python_batch(codec, STANDARD, BASE_TS)))
    out.append(Golden(
        "kafkapython_gzip_large", ver, "gzip", LARGE, BASE_TS,
        "DefaultRecordBatchBuilder(magic=2, compression_type=1), 50 records "
        "of 4096 B; ~200 KiB of records that gzip to ~1 KiB",
        (-1, -1, -1), False, kafka_python_batch("gzip", LARGE, BASE_TS)))
    out.append(Golden(
        "kafkapython_none_transactional", ver, "none", TXN, BASE_TS,
        "DefaultRecordBatchBuilder(magic=2, compression_type=0, "
        "is_transactional=True, producer_id=%d, producer_epoch=%d, "
        "base_sequence=%d). Builder API only: the kafka-python 2.0.2 "
        "producer itself never sets these" % TXN_PRODUCER,
        TXN_PRODUCER, True,
        kafka_python_batch("none", TXN, BASE_TS, TXN_PRODUCER, True)))
    return out


# --------------------------------------------------------------------------
# librdkafka (confluent_kafka.Producer against fake_broker.FakeBroker)
# --------------------------------------------------------------------------
def split_batches(records):
    """Splits a Produce request's `records` field into record batches."""
    out = []
    pos = 0
    while pos < len(records):
        (length,) = struct.unpack_from(">i", records, pos + 8)
        out.append(records[pos:pos + 12 + length])
        pos += 12 + length
    return out


def librdkafka_batches(broker, codec, batches, idempotent=False,
                       transactional_id=None):
    """Produces each (records, first_ts) group and returns one batch each."""
    from confluent_kafka import Producer
    conf = {
        "bootstrap.servers": "127.0.0.1:%d" % broker.port,
        "client.id": "karst-capture",
        "compression.type": codec,
        "linger.ms": 1000,  # all records of a group land in one batch
    }
    if idempotent:
        conf["enable.idempotence"] = True
    if transactional_id:
        conf["transactional.id"] = transactional_id
    producer = Producer(conf)
    if transactional_id:
        producer.init_transactions(30)
    # Learn the partition first: messages produced before metadata arrives
    # wait on the unassigned queue and may be split over several batches.
    producer.list_topics(TOPIC, timeout=10)
    out = []
    for records, first_ts in batches:
        broker.take_produced()
        if transactional_id:
            producer.begin_transaction()
        results = []

        def on_delivery(err, msg, results=results):
            results.append(err)

        for r in records:
            producer.produce(TOPIC, value=r.value, key=r.key, partition=0,
                             timestamp=first_ts + r.ts_delta,
                             headers=r.headers or None,
                             on_delivery=on_delivery)
        # poll(), not flush(): flush() makes librdkafka ignore linger.ms.
        deadline = time.time() + 30
        while len(results) < len(records) and time.time() < deadline:
            producer.poll(0.1)
        if len(results) != len(records) or any(results):
            raise RuntimeError("librdkafka %s: delivery failed: %r"
                               % (codec, results))
        if transactional_id:
            producer.commit_transaction(30)
        produced = broker.take_produced()
        got = [b for p in produced for b in split_batches(p.records)]
        if len(got) != 1:
            raise RuntimeError("librdkafka %s: expected 1 batch, got %d"
                               % (codec, len(got)))
        out.append(got[0])
    producer.flush(10)
    return out


def capture_librdkafka():
    import confluent_kafka
    ver = "librdkafka %s (confluent-kafka-python %s)" % (
        confluent_kafka.libversion()[0], confluent_kafka.version()[0])
    how = ("confluent_kafka.Producer(compression.type=%s, linger.ms=1000%s) "
           "-> fake_broker.py; `records` of Produce v7")
    broker = fake_broker.FakeBroker()
    broker.start()
    out = []
    try:
        for codec in CODECS:
            (data,) = librdkafka_batches(broker, codec, [(STANDARD, BASE_TS)])
            out.append(Golden("librdkafka_%s" % codec, ver, codec, STANDARD,
                              BASE_TS, how % (codec, ""), (-1, -1, -1),
                              False, data))
        first, second = librdkafka_batches(
            broker, "none",
            [(STANDARD, BASE_TS), (IDEMPOTENT_2, IDEMPOTENT_2_TS)],
            idempotent=True)
        pid, epoch = fake_broker.PRODUCER_ID, fake_broker.PRODUCER_EPOCH
        idem_how = how % ("none", ", enable.idempotence=true") + (
            "; InitProducerId answered with producerId=%d epoch=%d" %
            (pid, epoch))
        out.append(Golden("librdkafka_none_idempotent", ver, "none", STANDARD,
                          BASE_TS, idem_how + "; first batch",
                          (pid, epoch, 0), False, first))
        out.append(Golden("librdkafka_none_idempotent_2", ver, "none",
                          IDEMPOTENT_2, IDEMPOTENT_2_TS,
                          idem_how + "; second batch of the same producer",
                          (pid, epoch, len(STANDARD)), False, second))
        (data,) = librdkafka_batches(broker, "zstd", [(STANDARD, BASE_TS)],
                                     transactional_id=TXN_ID)
        out.append(Golden(
            "librdkafka_zstd_transactional", ver, "zstd", STANDARD, BASE_TS,
            how % ("zstd", ", transactional.id=%s" % TXN_ID) +
            "; init_transactions, begin_transaction, produce, "
            "commit_transaction (the fake broker answers FindCoordinator, "
            "InitProducerId producerId=%d epoch=%d, AddPartitionsToTxn, "
            "EndTxn)" % (pid, epoch), (pid, epoch, 0), True, data))
    finally:
        broker.stop()
    return out


# --------------------------------------------------------------------------
# Independent validation
# --------------------------------------------------------------------------
def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_FIELDS = ("baseOffset batchLength partitionLeaderEpoch magic crc "
                 "attributes lastOffsetDelta firstTimestamp maxTimestamp "
                 "producerId producerEpoch baseSequence recordCount").split()


class Cursor:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def varint(self):
        shift = out = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return (out >> 1) ^ -(out & 1)
            shift += 7

    def blob(self):
        n = self.varint()
        if n < 0:
            return None
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return bytes(b)


def decompress(codec, payload):
    from kafka import codec as kc
    if codec == 0:
        return payload
    return {1: kc.gzip_decode, 2: kc.snappy_decode, 3: kc.lz4_decode,
            4: kc.zstd_decode}[codec](payload)


def framing(codec, payload):
    """Describes the compression framing a client chose."""
    if codec == 1:
        return ("gzip member: FLG=0x%02x MTIME=%d XFL=%d OS=%d"
                % (payload[3], struct.unpack_from("<I", payload, 4)[0],
                   payload[8], payload[9]))
    if codec == 2:
        if payload[:8] == b"\x82SNAPPY\x00":
            ver, compat = struct.unpack_from(">ii", payload, 8)
            return ("xerial snappy framing: magic \\x82SNAPPY\\0, version %d, "
                    "compat %d, then blocks of [int32 BE length][raw snappy]"
                    % (ver, compat))
        return "raw snappy block (no xerial framing)"
    if codec == 3:
        flg, bd = payload[4], payload[5]
        return ("LZ4 frame: FLG=0x%02x (block independence=%d, block "
                "checksum=%d, content size=%d, content checksum=%d), BD=0x%02x "
                "(block max size id %d)"
                % (flg, flg >> 5 & 1, flg >> 4 & 1, flg >> 3 & 1, flg >> 2 & 1,
                   bd, bd >> 4 & 7))
    if codec == 4:
        fhd = payload[4]
        return ("zstd frame: FHD=0x%02x (content size field=%s, single "
                "segment=%d, checksum=%d)"
                % (fhd, "yes" if (fhd >> 6) or (fhd >> 5 & 1) else "no",
                   fhd >> 5 & 1, fhd >> 2 & 1))
    return "uncompressed"


def parse_batch(data):
    hdr = dict(zip(HEADER_FIELDS, HEADER.unpack_from(data, 0)))
    codec = hdr["attributes"] & 0x7
    payload = bytes(data[HEADER.size:])
    raw = decompress(codec, payload)
    cur = Cursor(raw)
    records = []
    for _ in range(hdr["recordCount"]):
        length = cur.varint()
        start = cur.pos
        attrs = raw[cur.pos]
        cur.pos += 1
        ts_delta = cur.varint()
        offset_delta = cur.varint()
        key = cur.blob()
        value = cur.blob()
        headers = []
        for _ in range(cur.varint()):
            hk = cur.blob().decode("utf-8")
            headers.append((hk, cur.blob()))
        assert cur.pos - start == length, "record length mismatch"
        records.append(dict(attributes=attrs, ts_delta=ts_delta,
                            offset_delta=offset_delta, key=key, value=value,
                            headers=headers))
    assert cur.pos == len(raw), "trailing bytes after records"
    return hdr, records, len(payload), len(raw), framing(codec, payload)


def validate(g):
    """Returns a list of problems (empty when the batch is as expected)."""
    from kafka.record.default_records import DefaultRecordBatch
    from kafka.record.util import calc_crc32c
    data = g.data
    problems = []

    def check(cond, msg):
        if not cond:
            problems.append(msg)

    hdr, records, _, _, _ = parse_batch(data)
    body_crc = crc32c(data[21:])
    check(hdr["magic"] == 2, "magic %d" % hdr["magic"])
    check(hdr["batchLength"] == len(data) - 12, "batchLength %d vs size-12 %d"
          % (hdr["batchLength"], len(data) - 12))
    check(hdr["crc"] == body_crc, "crc32c stored %08x computed %08x"
          % (hdr["crc"], body_crc))
    check(calc_crc32c(data[21:]) == body_crc, "crc32c implementations differ")
    check(hdr["baseOffset"] == 0, "baseOffset")
    check(hdr["attributes"] & 0x7 == CODECS[g.codec], "codec bits %d"
          % (hdr["attributes"] & 0x7))
    check(bool(hdr["attributes"] & 0x10) == g.transactional, "txn bit")
    check(hdr["attributes"] & ~0x17 == 0, "unexpected attribute bits")
    pid, epoch, seq = g.producer
    check((hdr["producerId"], hdr["producerEpoch"], hdr["baseSequence"]) ==
          (pid, epoch, seq), "producer fields")
    check(hdr["recordCount"] == len(g.records), "recordCount")
    check(hdr["lastOffsetDelta"] == len(g.records) - 1, "lastOffsetDelta")
    check(hdr["firstTimestamp"] == g.first_ts, "firstTimestamp")
    check(hdr["maxTimestamp"] ==
          g.first_ts + max(r.ts_delta for r in g.records), "maxTimestamp")
    for i, (want, got) in enumerate(zip(g.records, records)):
        check(got == dict(attributes=0, ts_delta=want.ts_delta,
                          offset_delta=i, key=want.key, value=want.value,
                          headers=list(want.headers)),
              "record %d differs: %r" % (i, got))
    # Cross-check with kafka-python's own reader.
    batch = DefaultRecordBatch(bytes(data))
    check(batch.validate_crc(), "kafka-python validate_crc")
    theirs = [(r.offset, r.timestamp, r.key, r.value, list(r.headers))
              for r in batch]
    ours = [(i, g.first_ts + r.ts_delta, r.key, r.value, list(r.headers))
            for i, r in enumerate(g.records)]
    check(theirs == ours, "kafka-python reader disagrees")
    return problems


# --------------------------------------------------------------------------
# MANIFEST.md
# --------------------------------------------------------------------------
def show(b):
    if b is None:
        return "null"
    if b == LARGE_VALUE:
        return '"0123456789abcdef" x 256 (4096 B)'
    return '"%s"' % b.decode("ascii")


def show_headers(headers):
    if not headers:
        return "(none)"
    return ", ".join("%s=%s" % (k, show(v)) for k, v in headers)


def codec_versions():
    import importlib.metadata
    import zlib
    import lz4
    import zstandard
    v = importlib.metadata.version
    return ("kafka-python compresses with Python's gzip module (zlib %s, "
            "level 9), python-snappy %s (xerial framing by kafka-python), "
            "python3-lz4 %s (liblz4 %s), python3-zstandard %s (libzstd %s, "
            "level 3); librdkafka 2.0.2 uses its own builtin snappy and the "
            "system zlib/liblz4/libzstd (Debian package, default levels)"
            % (zlib.ZLIB_RUNTIME_VERSION, v("python-snappy"), v("lz4"),
               lz4.library_version_string(), v("zstandard"),
               ".".join(map(str, zstandard.ZSTD_VERSION))))


def records_table(records, out):
    out.append("| # | offsetDelta | timestampDelta | key | value | headers |")
    out.append("|---|---|---|---|---|---|")
    for i, r in enumerate(records):
        out.append("| %d | %d | %d | %s | %s | %s |" % (
            i, i, r.ts_delta, show(r.key), show(r.value),
            show_headers(r.headers)))


# Named record sets, so MANIFEST.md lists each one once.
CONTENT_SETS = [
    ("STANDARD", STANDARD, "The one-batch-per-codec content (5 records)"),
    ("LARGE", LARGE, "About 200 KiB of compressible records (50 records)"),
    ("TXN", TXN, "The kafka-python transactional builder batch (3 records)"),
    ("IDEMPOTENT_2", IDEMPOTENT_2,
     "Second batch of the idempotent librdkafka producer (3 records)"),
]


def content_name(records):
    for name, recs, _ in CONTENT_SETS:
        if recs is records:
            return name
    raise KeyError("unnamed record set")


def manifest(goldens):
    out = [
        "# Golden Kafka record batches",
        "",
        "Record batches (v2, magic 2) produced by real clients. Each `.bin` is "
        "the exact batch, starting at baseOffset, as the client put it in the "
        "`records` field of a Produce request (kafka-python: as its batch "
        "builder returned it). Generated by `tools/capture/capture.py` (see "
        "`tools/capture/README.md`); do not edit by hand, rerun it.",
        "",
        "Common to all files: baseOffset 0, partitionLeaderEpoch 0, magic 2, "
        "timestamp type CreateTime (attributes bit 3 clear), no control "
        "batches, record attributes 0, offsetDelta = record index, "
        "lastOffsetDelta = recordCount - 1, maxTimestamp = firstTimestamp + "
        "largest timestampDelta. A record's timestamp is firstTimestamp + "
        "timestampDelta. `null` is a null key/value/header value (varint "
        "length -1), `\"\"` an empty one (length 0). The CRC-32C "
        "(Castagnoli) covers attributes..end. Every file passed: magic == 2, "
        "batchLength == file size - 12, CRC-32C, all header fields, and the "
        "decoded records equal to the content below, checked by "
        "capture.py's own decoder and by kafka-python's reader.",
        "",
        "`kafkapython_none.bin` and `librdkafka_none.bin` are byte-identical: "
        "both clients encode the same records the same way.",
        "",
        "Codec libraries: " + codec_versions() + ".",
        "",
        "## Files",
        "",
        "| file | bytes | client | codec | attributes | producerId/epoch/"
        "baseSequence | content | records bytes (wire / decompressed) | "
        "CRC-32C |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    details = ["", "## How each file was made", ""]
    for g in goldens:
        hdr, _, comp, raw, frame = parse_batch(g.data)
        out.append("| `%s.bin` | %d | %s | %s | 0x%04x | %d/%d/%d | %s | "
                   "%d / %d | `%08x` |" % (
                       g.name, len(g.data), g.client.split(" (")[0], g.codec,
                       hdr["attributes"], hdr["producerId"],
                       hdr["producerEpoch"], hdr["baseSequence"],
                       content_name(g.records), comp, raw, hdr["crc"]))
        details.append("- `%s.bin`: %s. firstTimestamp %d. Codec framing: %s."
                       % (g.name, g.how, hdr["firstTimestamp"], frame))
    out += details
    out += ["", "## Content", ""]
    for name, recs, about in CONTENT_SETS:
        out += ["### %s" % name, "", about + ".", ""]
        if recs is LARGE:
            raw_len = len(kafka_python_batch("none", LARGE, BASE_TS)) - 61
            out.append("Record i (0..49): offsetDelta i, timestampDelta i, "
                       "key `\"big-NN\"` with NN = i as two digits "
                       "(`\"big-00\"` .. `\"big-49\"`), value "
                       "`\"0123456789abcdef\"` repeated 256 times (4096 B), "
                       "no headers. Records section: %d bytes decompressed."
                       % raw_len)
        else:
            records_table(recs, out)
        out.append("")
    out += [
        "## Not captured",
        "",
        "- kcat: it links the same librdkafka 2.0.2 as confluent-kafka "
        "(no new encoder) and cannot set record timestamps, so its batches "
        "would only differ in timestamps.",
        "- kafka-python 2.0.2's producer cannot be idempotent or "
        "transactional; `kafkapython_none_transactional.bin` exercises only "
        "its batch builder's producer fields and transactional flag.",
        "",
    ]
    return "\n".join(out)


def load_existing(goldens_spec, out_dir):
    loaded = []
    for g in goldens_spec:
        with open(os.path.join(out_dir, g.name + ".bin"), "rb") as f:
            loaded.append(g._replace(data=f.read()))
    return loaded


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--verify", action="store_true",
                    help="validate the files already in --out, write nothing")
    args = ap.parse_args()

    goldens = capture_kafka_python() + capture_librdkafka()
    fresh = {g.name: g.data for g in goldens}
    if args.verify:
        goldens = load_existing(goldens, args.out)
    failed = False
    for g in goldens:
        problems = validate(g)
        hdr = parse_batch(g.data)[0]
        same = ""
        if args.verify:
            same = ("  regenerated: identical" if fresh[g.name] == g.data
                    else "  regenerated: DIFFERENT bytes")
        print("%-36s %6d B  crc32c=%08x  %s%s" % (
            g.name + ".bin", len(g.data), hdr["crc"],
            "OK" if not problems else "FAIL: " + "; ".join(problems), same))
        failed |= bool(problems)
    if failed:
        sys.exit(1)
    if args.verify:
        return
    os.makedirs(args.out, exist_ok=True)
    for g in goldens:
        with open(os.path.join(args.out, g.name + ".bin"), "wb") as f:
            f.write(g.data)
    with open(os.path.join(args.out, "MANIFEST.md"), "w") as f:
        f.write(manifest(goldens))
    print("wrote %d batches and MANIFEST.md to %s" % (len(goldens), args.out))


if __name__ == "__main__":
    main()
