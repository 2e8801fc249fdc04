#!/usr/bin/python3
"""Minimal fake Kafka broker that records the record batches producers send.

Stdlib only. Speaks just enough of the Kafka wire protocol for a librdkafka
(confluent_kafka.Producer / kcat) producer to deliver messages:

  ApiVersions    v0..3 (v3 answered flexibly; the response header is always v0)
  Metadata       v0..4 (one broker = this listener, every topic asked for has
                        NUM_PARTITIONS partitions led by that broker)
  Produce        v0..7 (every partition's raw `records` bytes are recorded,
                        answered with error 0 and base offset 0)
  InitProducerId v0..1 (for enable.idempotence=true; fixed producer id/epoch)
  FindCoordinator v0..2, AddPartitionsToTxn v0..2, EndTxn v0..2
                       (for transactional.id: this broker coordinates, every
                        request succeeds; no control batches are involved)

Any other request is logged and the connection is closed. Subclasses (see
fetch_broker.py) serve more APIs by overriding the `supported` and
`advertised_only` tables and `_dispatch`.

Usage as a module:
    broker = FakeBroker(); port = broker.start(); ...; broker.stop()
    broker.produced  ->  list of ProducedRecords
Usage from the shell (debugging): /usr/bin/python3 fake_broker.py [port]
"""

import socket
import struct
import sys
import threading
from collections import namedtuple

NODE_ID = 1
NUM_PARTITIONS = 1
PRODUCER_ID = 4242
PRODUCER_EPOCH = 3
CLUSTER_ID = "karst-capture"

API_PRODUCE = 0
API_METADATA = 3
API_API_VERSIONS = 18
API_INIT_PRODUCER_ID = 22

API_FETCH = 1
API_FIND_COORDINATOR = 10
API_ADD_PARTITIONS_TO_TXN = 24
API_END_TXN = 26

# Served (min, max) per API key. Kept low enough that every request and
# response except ApiVersions v3 is non-flexible.
SUPPORTED = {
    API_PRODUCE: (0, 7),
    API_METADATA: (0, 4),
    API_API_VERSIONS: (0, 3),
    API_INIT_PRODUCER_ID: (0, 1),
    API_FIND_COORDINATOR: (0, 2),
    API_ADD_PARTITIONS_TO_TXN: (0, 2),
    API_END_TXN: (0, 2),
}
# Advertised in ApiVersions but never served (a producer does not send them).
# librdkafka 2.0.2 derives its feature flags from the advertised ranges
# (rdkafka_feature.c): MsgVersion 2 needs Produce 3 AND Fetch 4, zstd needs
# Produce 7 AND Fetch 10, LZ4 needs FindCoordinator 0, idempotence needs
# InitProducerId 0. Without Fetch it silently falls back to MessageSet v0.
ADVERTISED_ONLY = {
    API_FETCH: (0, 10),
}

ERR_UNSUPPORTED_VERSION = 35
NO_RESPONSE = object()

ProducedRecords = namedtuple(
    "ProducedRecords",
    "api_version client_id transactional_id acks topic partition records")


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("short read")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int8(self):
        return struct.unpack(">b", self.take(1))[0]

    def int16(self):
        return struct.unpack(">h", self.take(2))[0]

    def int32(self):
        return struct.unpack(">i", self.take(4))[0]

    def int64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = 0
        out = 0
        while True:
            b = self.take(1)[0]
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7

    def nullable_string(self):
        n = self.int16()
        return None if n < 0 else self.take(n).decode("utf-8")

    def compact_nullable_string(self):
        n = self.uvarint() - 1
        return None if n < 0 else self.take(n).decode("utf-8")

    def nullable_bytes(self):
        n = self.int32()
        return None if n < 0 else self.take(n)

    def tagged_fields(self):
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            self.take(self.uvarint())


class Writer:
    def __init__(self):
        self.parts = []

    def raw(self, b):
        self.parts.append(b)
        return self

    def int8(self, v):
        return self.raw(struct.pack(">b", v))

    def int16(self, v):
        return self.raw(struct.pack(">h", v))

    def int32(self, v):
        return self.raw(struct.pack(">i", v))

    def int64(self, v):
        return self.raw(struct.pack(">q", v))

    def uvarint(self, v):
        out = bytearray()
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
        return self.raw(bytes(out))

    def string(self, s):
        if s is None:
            return self.int16(-1)
        b = s.encode("utf-8")
        return self.int16(len(b)).raw(b)

    def array_len(self, n):
        return self.int32(n)

    def bytes(self):
        return b"".join(self.parts)


class FakeBroker:
    supported = SUPPORTED
    advertised_only = ADVERTISED_ONLY

    def __init__(self, host="127.0.0.1", port=0, log=None):
        self.host = host
        self.port = port
        self.produced = []
        self.requests = []  # (api_key, api_version) in arrival order
        self.lock = threading.Lock()
        self.log = log or (lambda msg: None)
        self._sock = None
        self._threads = []
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        return self.port

    def stop(self):
        self._stopping = True
        try:
            self._sock.close()
        except OSError:
            pass

    def take_produced(self):
        with self.lock:
            out, self.produced = self.produced, []
        return out

    def _accept_loop(self):
        while not self._stopping:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()

    # -- connection handling -----------------------------------------------
    @staticmethod
    def _recv_exact(conn, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def _serve(self, conn):
        with conn:
            try:
                self._serve_requests(conn)
            except OSError as e:  # e.g. a consumer closing during a long poll
                self.log("connection dropped by the client: %s" % e)

    def _serve_requests(self, conn):
        while True:
            size_b = self._recv_exact(conn, 4)
            if size_b is None:
                return
            (size,) = struct.unpack(">i", size_b)
            frame = self._recv_exact(conn, size)
            if frame is None:
                return
            resp = self._handle(frame)
            if resp is None:
                return
            if resp is NO_RESPONSE:
                continue
            conn.sendall(struct.pack(">i", len(resp)) + resp)

    def _handle(self, frame):
        r = Reader(frame)
        api_key = r.int16()
        api_version = r.int16()
        correlation_id = r.int32()
        client_id = r.nullable_string()
        with self.lock:
            self.requests.append((api_key, api_version))
        self.log("request api_key=%d v%d corr=%d client=%s"
                 % (api_key, api_version, correlation_id, client_id))
        header = Writer().int32(correlation_id)  # response header v0

        if api_key == API_API_VERSIONS:
            return header.bytes() + self._api_versions(r, api_version)

        lo_hi = self.supported.get(api_key)
        if lo_hi is None or not lo_hi[0] <= api_version <= lo_hi[1]:
            self.log("unsupported request api_key=%d v%d: closing"
                     % (api_key, api_version))
            return None
        body = self._dispatch(api_key, api_version, r, client_id)
        if body is NO_RESPONSE:
            return NO_RESPONSE
        return header.bytes() + body

    def _dispatch(self, api_key, api_version, r, client_id):
        """Returns the response body (or NO_RESPONSE) for a supported API."""
        if api_key == API_METADATA:
            return self._metadata(r, api_version)
        if api_key == API_PRODUCE:
            return self._produce(r, api_version, client_id)
        if api_key == API_INIT_PRODUCER_ID:
            return self._init_producer_id(r, api_version)
        if api_key == API_FIND_COORDINATOR:
            return self._find_coordinator(r, api_version)
        if api_key == API_ADD_PARTITIONS_TO_TXN:
            return self._add_partitions_to_txn(r, api_version)
        if api_key == API_END_TXN:
            return self._end_txn(r, api_version)
        raise ValueError("api_key %d is in `supported` but not dispatched"
                         % api_key)

    # -- APIs ----------------------------------------------------------------
    def _api_versions(self, r, v):
        w = Writer()
        if v > 3:
            # KIP-511: unknown newer version -> error 35 with a v0 body.
            w.int16(ERR_UNSUPPORTED_VERSION)
            w.array_len(1).int16(API_API_VERSIONS).int16(0).int16(3)
            return w.bytes()
        flexible = v >= 3
        if flexible:
            r.tagged_fields()  # request header v2 tagged fields
            name = r.compact_nullable_string()
            version = r.compact_nullable_string()
            r.tagged_fields()
            self.log("client software %s %s" % (name, version))
        w.int16(0)
        keys = sorted(list(self.supported.items())
                      + list(self.advertised_only.items()))
        if flexible:
            w.uvarint(len(keys) + 1)
        else:
            w.array_len(len(keys))
        for key, (lo, hi) in keys:
            w.int16(key).int16(lo).int16(hi)
            if flexible:
                w.uvarint(0)
        if v >= 1:
            w.int32(0)  # throttle_time_ms
        if flexible:
            w.uvarint(0)
        return w.bytes()

    def _metadata(self, r, v):
        n = r.int32()
        topics = None if n < 0 else [r.nullable_string() for _ in range(n)]
        if v >= 4:
            r.int8()  # allow_auto_topic_creation
        if topics is None or (v == 0 and not topics):
            topics = []  # "all topics": we know none until asked by name
        w = Writer()
        if v >= 3:
            w.int32(0)  # throttle_time_ms
        w.array_len(1).int32(NODE_ID).string(self.host).int32(self.port)
        if v >= 1:
            w.string(None)  # rack
        if v >= 2:
            w.string(CLUSTER_ID)
        if v >= 1:
            w.int32(NODE_ID)  # controller_id
        w.array_len(len(topics))
        for name in topics:
            w.int16(0).string(name)
            if v >= 1:
                w.int8(0)  # is_internal
            w.array_len(NUM_PARTITIONS)
            for p in range(NUM_PARTITIONS):
                w.int16(0).int32(p).int32(NODE_ID)
                w.array_len(1).int32(NODE_ID)  # replicas
                w.array_len(1).int32(NODE_ID)  # isr
        return w.bytes()

    def _produce(self, r, v, client_id):
        txn_id = r.nullable_string() if v >= 3 else None
        acks = r.int16()
        r.int32()  # timeout_ms
        results = []
        for _ in range(r.int32()):
            topic = r.nullable_string()
            parts = []
            for _ in range(r.int32()):
                partition = r.int32()
                records = r.nullable_bytes()
                with self.lock:
                    self.produced.append(ProducedRecords(
                        v, client_id, txn_id, acks, topic, partition, records))
                self.log("produce v%d %s[%d]: %d bytes"
                         % (v, topic, partition, len(records or b"")))
                parts.append(partition)
            results.append((topic, parts))
        if acks == 0:
            return NO_RESPONSE  # acks=0: the client expects no response
        w = Writer().array_len(len(results))
        for topic, parts in results:
            w.string(topic).array_len(len(parts))
            for p in parts:
                w.int32(p).int16(0).int64(0)
                if v >= 2:
                    w.int64(-1)  # log_append_time_ms
                if v >= 5:
                    w.int64(0)  # log_start_offset
        if v >= 1:
            w.int32(0)  # throttle_time_ms
        return w.bytes()

    def _init_producer_id(self, r, v):
        txn_id = r.nullable_string()
        r.int32()  # transaction_timeout_ms
        self.log("init_producer_id txn=%s -> pid=%d epoch=%d"
                 % (txn_id, PRODUCER_ID, PRODUCER_EPOCH))
        return (Writer().int32(0).int16(0).int64(PRODUCER_ID)
                .int16(PRODUCER_EPOCH).bytes())

    def _find_coordinator(self, r, v):
        key = r.nullable_string()
        key_type = r.int8() if v >= 1 else 0
        self.log("find_coordinator key=%s type=%d" % (key, key_type))
        w = Writer()
        if v >= 1:
            w.int32(0)  # throttle_time_ms
        w.int16(0)
        if v >= 1:
            w.string(None)  # error_message
        return w.int32(NODE_ID).string(self.host).int32(self.port).bytes()

    def _add_partitions_to_txn(self, r, v):
        txn_id = r.nullable_string()
        r.int64()  # producer_id
        r.int16()  # producer_epoch
        topics = []
        for _ in range(r.int32()):
            name = r.nullable_string()
            topics.append((name, [r.int32() for _ in range(r.int32())]))
        self.log("add_partitions_to_txn %s %r" % (txn_id, topics))
        w = Writer().int32(0).array_len(len(topics))
        for name, parts in topics:
            w.string(name).array_len(len(parts))
            for p in parts:
                w.int32(p).int16(0)
        return w.bytes()

    def _end_txn(self, r, v):
        txn_id = r.nullable_string()
        r.int64()  # producer_id
        r.int16()  # producer_epoch
        committed = r.int8()
        self.log("end_txn %s committed=%d" % (txn_id, committed))
        return Writer().int32(0).int16(0).bytes()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    broker = FakeBroker(port=port, log=lambda m: print(m, flush=True))
    print("listening on 127.0.0.1:%d" % broker.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    for p in broker.produced:
        print(p.topic, p.partition, len(p.records or b""))


if __name__ == "__main__":
    main()
