#!/usr/bin/python3
"""A FakeBroker that also serves consumers from fixed partition logs.

Stdlib only. On top of everything fake_broker.FakeBroker answers, this serves

  Fetch        v4..11 (non-flexible; no fetch sessions: session id 0 and full
                       responses, as CLIENTS.md rule 4 allows). Returns every
                       whole batch whose last offset >= the fetch offset (at
                       least one, then up to PartitionMaxBytes), high
                       watermark = last stable offset = last offset + 1, log
                       start offset 0. When caught up it holds the request up
                       to min(MaxWaitMs, 1 s) like a real broker's long poll,
                       then answers with empty records. Offsets outside
                       [0, end] get OFFSET_OUT_OF_RANGE; unknown partitions
                       UNKNOWN_TOPIC_OR_PARTITION.
  ListOffsets  v1..5  (timestamp -2 earliest = 0, -1 latest = end; a lookup by
                       timestamp is not served and gets UNKNOWN_SERVER_ERROR)

The logs are given as {(topic, partition): bytes}, the bytes being whole
record batches (v2, magic 2) with consecutive offsets, served verbatim: the
broker reads only each batch's baseOffset, batchLength, magic and
lastOffsetDelta, so a corrupted record reaches the client unchanged.

Usage:
    broker = FetchBroker({("t", 0): batches}); port = broker.start(); ...
    broker.stop();  broker.requests -> [(api_key, api_version), ...]
"""

import struct
import threading
from collections import namedtuple

import fake_broker
from fake_broker import FakeBroker, Writer

API_FETCH = fake_broker.API_FETCH
API_LIST_OFFSETS = 2

ERR_NONE = 0
ERR_UNKNOWN_SERVER_ERROR = -1
ERR_OFFSET_OUT_OF_RANGE = 1
ERR_UNKNOWN_TOPIC_OR_PARTITION = 3

EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1
MAX_LONG_POLL_MS = 1000

Batch = namedtuple("Batch", "base_offset last_offset data")


def split_batches(data):
    """Splits concatenated v2 record batches; raises ValueError if malformed."""
    batches = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 27:
            raise ValueError("truncated batch header at byte %d" % pos)
        base_offset, batch_length = struct.unpack_from(">qi", data, pos)
        magic = data[pos + 16]
        (last_offset_delta,) = struct.unpack_from(">i", data, pos + 23)
        end = pos + 12 + batch_length
        if magic != 2 or batch_length < 49 or end > len(data):
            raise ValueError("bad batch at byte %d: magic %d, batchLength %d"
                             % (pos, magic, batch_length))
        batches.append(Batch(base_offset, base_offset + last_offset_delta,
                             data[pos:end]))
        pos = end
    return batches


class FetchBroker(FakeBroker):
    supported = dict(fake_broker.SUPPORTED)
    supported[API_FETCH] = (4, 11)
    supported[API_LIST_OFFSETS] = (1, 5)
    advertised_only = {}

    def __init__(self, logs, host="127.0.0.1", port=0, log=None):
        super().__init__(host=host, port=port, log=log)
        self.logs = {tp: split_batches(data) for tp, data in logs.items()}
        self.fetches = []  # (api_version, topic, partition, fetch_offset)
        self._stop_event = threading.Event()

    def stop(self):
        self._stop_event.set()
        super().stop()

    def end_offset(self, tp):
        batches = self.logs[tp]
        return batches[-1].last_offset + 1 if batches else 0

    def _dispatch(self, api_key, api_version, r, client_id):
        if api_key == API_FETCH:
            return self._fetch(r, api_version)
        if api_key == API_LIST_OFFSETS:
            return self._list_offsets(r, api_version)
        return super()._dispatch(api_key, api_version, r, client_id)

    # -- Fetch ---------------------------------------------------------------
    def _read_fetch(self, r, v):
        r.int32()  # replica_id
        max_wait_ms = r.int32()
        r.int32()  # min_bytes
        r.int32()  # max_bytes (v3+)
        r.int8()  # isolation_level (v4+)
        if v >= 7:
            r.int32()  # session_id
            r.int32()  # session_epoch
        topics = []
        for _ in range(r.int32()):
            topic = r.nullable_string()
            parts = []
            for _ in range(r.int32()):
                partition = r.int32()
                if v >= 9:
                    r.int32()  # current_leader_epoch
                fetch_offset = r.int64()
                if v >= 5:
                    r.int64()  # log_start_offset
                parts.append((partition, fetch_offset, r.int32()))
            topics.append((topic, parts))
        if v >= 7:
            for _ in range(r.int32()):  # forgotten_topics_data
                r.nullable_string()
                for _ in range(r.int32()):
                    r.int32()
        if v >= 11:
            r.nullable_string()  # rack_id
        return max_wait_ms, topics

    def _partition_data(self, topic, partition, fetch_offset, max_bytes):
        """Returns (error_code, high_watermark, records)."""
        tp = (topic, partition)
        if tp not in self.logs:
            return ERR_UNKNOWN_TOPIC_OR_PARTITION, -1, b""
        end = self.end_offset(tp)
        if not 0 <= fetch_offset <= end:
            return ERR_OFFSET_OUT_OF_RANGE, end, b""
        records = b""
        for batch in self.logs[tp]:
            if batch.last_offset < fetch_offset:
                continue
            if records and len(records) + len(batch.data) > max_bytes:
                break
            records += batch.data
        return ERR_NONE, end, records

    def _fetch(self, r, v):
        max_wait_ms, topics = self._read_fetch(r, v)
        results = []
        for topic, parts in topics:
            out = []
            for partition, fetch_offset, max_bytes in parts:
                with self.lock:
                    self.fetches.append((v, topic, partition, fetch_offset))
                self.log("fetch v%d %s[%d] offset %d"
                         % (v, topic, partition, fetch_offset))
                out.append((partition,) + self._partition_data(
                    topic, partition, fetch_offset, max_bytes))
            results.append((topic, out))
        if not any(p[3] or p[1] for _, out in results for p in out):
            # Caught up everywhere: hold the request like a broker's long poll.
            self._stop_event.wait(min(max_wait_ms, MAX_LONG_POLL_MS) / 1000.0)
        w = Writer().int32(0)  # throttle_time_ms
        if v >= 7:
            w.int16(ERR_NONE).int32(0)  # error_code, session_id
        w.array_len(len(results))
        for topic, out in results:
            w.string(topic).array_len(len(out))
            for partition, error, high_watermark, records in out:
                w.int32(partition).int16(error).int64(high_watermark)
                w.int64(high_watermark)  # last_stable_offset: no transactions
                if v >= 5:
                    w.int64(0)  # log_start_offset
                w.array_len(0)  # aborted_transactions
                if v >= 11:
                    w.int32(-1)  # preferred_read_replica
                w.int32(len(records)).raw(records)
        return w.bytes()

    # -- ListOffsets ---------------------------------------------------------
    def _list_offsets(self, r, v):
        r.int32()  # replica_id
        if v >= 2:
            r.int8()  # isolation_level
        results = []
        for _ in range(r.int32()):
            topic = r.nullable_string()
            out = []
            for _ in range(r.int32()):
                partition = r.int32()
                if v >= 4:
                    r.int32()  # current_leader_epoch
                timestamp = r.int64()
                out.append((partition,) + self._lookup_offset(
                    topic, partition, timestamp))
                self.log("list_offsets v%d %s[%d] timestamp %d -> %r"
                         % (v, topic, partition, timestamp, out[-1]))
            results.append((topic, out))
        w = Writer()
        if v >= 2:
            w.int32(0)  # throttle_time_ms
        w.array_len(len(results))
        for topic, out in results:
            w.string(topic).array_len(len(out))
            for partition, error, offset in out:
                w.int32(partition).int16(error).int64(-1).int64(offset)
                if v >= 4:
                    w.int32(-1)  # leader_epoch
        return w.bytes()

    def _lookup_offset(self, topic, partition, timestamp):
        """Returns (error_code, offset)."""
        tp = (topic, partition)
        if tp not in self.logs:
            return ERR_UNKNOWN_TOPIC_OR_PARTITION, -1
        if timestamp == EARLIEST_TIMESTAMP:
            return ERR_NONE, 0
        if timestamp == LATEST_TIMESTAMP:
            return ERR_NONE, self.end_offset(tp)
        return ERR_UNKNOWN_SERVER_ERROR, -1

