#!/usr/bin/python3
"""A recording Kafka broker: keeps every request frame a client sends.

Stdlib only. Listens on 127.0.0.1 (ephemeral port by default), records each
request frame exactly as received (the bytes after the 4-byte size prefix)
and answers it well enough for real clients to go on to their next step. The
request bodies are decoded and the responses encoded by kafka_schema.py from
Apache Kafka's message JSONs, at exactly the version the client asked for:
flexible versions get compact encodings, tagged fields and response header v1
(ApiVersions' response header is always v0).

Served (advertised ranges as in shared/kafka-protocol/CLIENTS.md):
  ApiVersions 0-3 (a higher version gets error 35 and a v0 body, KIP-511),
  Metadata 0-12 (this listener is the only broker and the controller; topics
  asked for are auto-created with DEFAULT_PARTITIONS partitions), Produce 3-11
  (0-2 advertised, as Kafka 4 does, but refused; v2 record batches are
  appended to an in-memory log, so consumers read back what producers wrote),
  Fetch 4-17 (no sessions: session id 0, full responses; long poll of at most
  LONG_POLL_CAP_S when caught up), ListOffsets 1-9, FindCoordinator 0-6,
  JoinGroup 0-9 (v4+ first gets MEMBER_ID_REQUIRED as from a real broker; each
  join makes the joiner the group's only member and leader), SyncGroup 0-5,
  Heartbeat 0-4, LeaveGroup 0-5, OffsetCommit 1-9, OffsetFetch 1-9,
  CreateTopics 0-7, DeleteTopics 0-6, InitProducerId 0-5, AddPartitionsToTxn
  0-3, AddOffsetsToTxn 0-3, EndTxn 0-3, TxnOffsetCommit 0-3,
  DescribeConfigs 0-4 (empty config lists), SaslHandshake 0-1 and
  SaslAuthenticate 0-2 (advertised only, refused).
An unsupported API or version, or a request that does not decode, is
recorded, then the connection is closed; a request with bytes left over after
its last field is answered (as Kafka presumably does) but its Captured.error
says so. `errors` lists handler failures (bugs here).

Usage as a module:
    broker = CaptureBroker(); port = broker.start(); ...; broker.stop()
    broker.frames -> [Captured(conn, seq, frame, header, error), ...]
From the shell (debugging): /usr/bin/python3 protocol_capture.py [port]
"""

import hashlib
import socket
import struct
import sys
import threading
import time
from collections import namedtuple

import kafka_schema
from kafka_schema import Writer, decode_request_header

NODE_ID = 1
CLUSTER_ID = "karst-capture"
DEFAULT_PARTITIONS = 3
LONG_POLL_CAP_S = 0.25
PRODUCER_ID_BASE = 4000

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata",
    8: "OffsetCommit", 9: "OffsetFetch", 10: "FindCoordinator",
    11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
    17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics",
    20: "DeleteTopics", 22: "InitProducerId", 24: "AddPartitionsToTxn",
    25: "AddOffsetsToTxn", 26: "EndTxn", 28: "TxnOffsetCommit",
    32: "DescribeConfigs", 36: "SaslAuthenticate",
}

# (min, max) advertised in ApiVersions: the ranges CLIENTS.md recommends.
ADVERTISED = {
    18: (0, 3), 3: (0, 12), 0: (0, 11), 1: (4, 17), 2: (1, 9), 10: (0, 6),
    11: (0, 9), 14: (0, 5), 12: (0, 4), 13: (0, 5), 8: (1, 9), 9: (1, 9),
    17: (0, 1), 36: (0, 2), 22: (0, 5), 24: (0, 3), 25: (0, 3), 26: (0, 3),
    28: (0, 3), 19: (0, 7), 20: (0, 6), 32: (0, 4),
}
# Advertised but refused below this version (Kafka 4 advertises Produce 0 for
# librdkafka's feature detection and rejects 0-2).
ACCEPT_MIN = {0: 3}
NOT_SERVED = {17, 36}

ERR_NONE = 0
ERR_UNKNOWN_SERVER_ERROR = -1
ERR_OFFSET_OUT_OF_RANGE = 1
ERR_UNKNOWN_TOPIC_OR_PARTITION = 3
ERR_ILLEGAL_GENERATION = 22
ERR_UNKNOWN_MEMBER_ID = 25
ERR_REBALANCE_IN_PROGRESS = 27
ERR_UNSUPPORTED_VERSION = 35
ERR_TOPIC_ALREADY_EXISTS = 36
ERR_MEMBER_ID_REQUIRED = 79
ERR_UNKNOWN_TOPIC_ID = 100

Captured = namedtuple("Captured", "conn seq frame header error")
_CLOSE = object()
_NO_RESPONSE = object()


def topic_uuid(name):
    """A fixed, non-zero topic id per name (deterministic captures)."""
    return hashlib.md5(("karst:" + name).encode()).digest()


def split_batches(data):
    """Yields (start, end, magic, record_count) for each batch or message.

    Magic 2 batches count lastOffsetDelta + 1 offsets; legacy magic 0/1
    messages one each (a compressed wrapper is counted as one)."""
    pos = 0
    while pos + 17 <= len(data):
        (length,) = struct.unpack_from(">i", data, pos + 8)
        end = pos + 12 + length
        if length <= 0 or end > len(data):
            return
        magic = data[pos + 16]
        count = 1
        if magic == 2 and length >= 49:
            (delta,) = struct.unpack_from(">i", data, pos + 23)
            count = delta + 1
        yield pos, end, magic, count
        pos = end


class Topic:
    def __init__(self, name, partitions):
        self.name = name
        self.id = topic_uuid(name)
        self.logs = [[] for _ in range(partitions)]  # [(base, count, bytes)]

    def end_offset(self, p):
        log = self.logs[p]
        return log[-1][0] + log[-1][1] if log else 0


class Group:
    def __init__(self, group_id):
        self.id = group_id
        self.generation = 0
        self.protocol_type = None
        self.protocol_name = None
        self.leader = ""
        self.members = {}  # member id -> (instance id, metadata)
        self.assignments = {}
        self.pending = set()  # member ids handed out by MEMBER_ID_REQUIRED
        self.offsets = {}  # (topic, partition) -> (offset, metadata)


class CaptureBroker:
    def __init__(self, host="127.0.0.1", port=0, schemas=None, log=None,
                 advertised=None, member_id_required=True):
        self.host = host
        self.port = port
        self.schemas = schemas or kafka_schema.Schemas.load()
        self.advertised = dict(advertised or ADVERTISED)
        self.member_id_required = member_id_required
        self.log = log or (lambda msg: None)
        self.frames = []
        self.errors = []
        self.lock = threading.Condition()
        self.topics = {}
        self.groups = {}
        self.next_producer_id = PRODUCER_ID_BASE
        self.next_member = 0
        self._conn_seq = 0
        self._sock = None
        self._conns = []
        self._stopping = threading.Event()

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self.port

    def stop(self):
        self._stopping.set()
        with self.lock:
            self.lock.notify_all()
        try:
            self._sock.close()
        except OSError:
            pass
        for c in list(self._conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def take_frames(self):
        with self.lock:
            out, self.frames = self.frames, []
        return out

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self.lock:
                self._conn_seq += 1
                cid = self._conn_seq
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn, cid),
                             daemon=True).start()

    @staticmethod
    def _recv_exact(conn, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def _serve(self, conn, cid):
        seq = 0
        try:
            with conn:
                while True:
                    size_b = self._recv_exact(conn, 4)
                    if size_b is None:
                        return
                    (size,) = struct.unpack(">i", size_b)
                    frame = self._recv_exact(conn, size)
                    if frame is None:
                        return
                    seq += 1
                    resp = self.handle(frame, cid, seq)
                    if resp is _CLOSE:
                        return
                    if resp is _NO_RESPONSE:
                        continue
                    conn.sendall(struct.pack(">i", len(resp)) + resp)
        except OSError as e:
            self.log("conn %d dropped: %s" % (cid, e))
        finally:
            with self.lock:
                if conn in self._conns:
                    self._conns.remove(conn)

    # -- dispatch ----------------------------------------------------------
    def handle(self, frame, cid=0, seq=0):
        """Records one request frame and returns the response bytes."""
        try:
            header, pos = decode_request_header(frame, self.schemas)
        except ValueError as e:
            self._record(Captured(cid, seq, frame, None, "header: %s" % e))
            return _CLOSE
        key, v = header.api_key, header.api_version
        name = API_NAMES.get(key, "Api%d" % key)
        lo_hi = self.advertised.get(key)
        error = None
        body = None
        if key in self.schemas.requests and v in self.schemas.request(key).valid:
            msg = self.schemas.request(key)
            try:
                body = msg.decode_bytes(v, frame[pos:])
            except ValueError as e:
                error = "decode %s v%d: %s" % (name, v, e)
                if "trailing bytes" in str(e):
                    # Answer as Kafka presumably would (its generated readers
                    # do not look for leftover bytes; unverified), but keep
                    # the frame flagged.
                    body = msg.decode(v, kafka_schema.Reader(frame, pos))
        self._record(Captured(cid, seq, frame, header, error))
        self.log("conn %d #%d %s v%d corr=%d client=%s%s" % (
            cid, seq, name, v, header.correlation_id, header.client_id,
            " (%s)" % error if error else ""))

        if key == 18:
            return self._api_versions_response(header, body, error)
        if body is None or lo_hi is None or not max(lo_hi[0], ACCEPT_MIN.get(
                key, 0)) <= v <= lo_hi[1] or key in NOT_SERVED:
            self.log("unsupported or undecodable %s v%d (%s): closing"
                     % (name, v, error or "not served"))
            return _CLOSE
        handler = getattr(self, "_" + _snake(name))
        try:
            resp = handler(body, v, header)
        except Exception as e:  # a bug here must not hang the client
            self.errors.append("handler %s v%d: %r" % (name, v, e))
            self.log("handler %s v%d failed: %r" % (name, v, e))
            return _CLOSE
        if resp is _NO_RESPONSE:
            return resp
        out = Writer()
        out.pack(">i", header.correlation_id)
        if self.schemas.response_header_version(key, v) >= 1:
            out.uvarint(0)  # response header tagged fields
        out.raw(self.schemas.response(key).encode(v, resp))
        return out.getvalue()

    def _record(self, captured):
        with self.lock:
            self.frames.append(captured)

    def _api_versions_response(self, header, body, error):
        v = header.api_version
        lo, hi = self.advertised[18]
        w = Writer()
        w.pack(">i", header.correlation_id)  # response header v0, always
        msg = self.schemas.response(18)
        if v > hi or body is None:
            # KIP-511: error 35 and a v0 body naming the ApiVersions range.
            w.raw(msg.encode(0, {"ErrorCode": ERR_UNSUPPORTED_VERSION,
                                 "ApiKeys": [{"ApiKey": 18, "MinVersion": lo,
                                              "MaxVersion": hi}]}))
            return w.getvalue()
        if body and v >= 3:
            self.log("client software %s %s" % (
                body.get("ClientSoftwareName"),
                body.get("ClientSoftwareVersion")))
        keys = [{"ApiKey": k, "MinVersion": a, "MaxVersion": b}
                for k, (a, b) in sorted(self.advertised.items())]
        w.raw(msg.encode(v, {"ErrorCode": 0, "ApiKeys": keys,
                             "ThrottleTimeMs": 0}))
        return w.getvalue()

    # -- topics ------------------------------------------------------------
    def create_topic(self, name, partitions=DEFAULT_PARTITIONS):
        with self.lock:
            if name not in self.topics:
                self.topics[name] = Topic(name, partitions)
                self.log("created topic %s with %d partitions"
                         % (name, partitions))
            return self.topics[name]

    def _topic_by_id(self, tid):
        for t in self.topics.values():
            if t.id == tid:
                return t
        return None

    def _metadata_topic(self, t, err=ERR_NONE, name=None, tid=None):
        if t is None:
            return {"ErrorCode": err, "Name": name, "TopicId": tid or b"\0" * 16,
                    "Partitions": []}
        return {"ErrorCode": ERR_NONE, "Name": t.name, "TopicId": t.id,
                "IsInternal": False, "Partitions": [
                    {"ErrorCode": 0, "PartitionIndex": p, "LeaderId": NODE_ID,
                     "LeaderEpoch": 0, "ReplicaNodes": [NODE_ID],
                     "IsrNodes": [NODE_ID], "OfflineReplicas": []}
                    for p in range(len(t.logs))],
                "TopicAuthorizedOperations": -2147483648}

    # -- APIs ----------------------------------------------------------------
    def _metadata(self, req, v, header):
        asked = req["Topics"]
        auto = req.get("AllowAutoTopicCreation", True)
        topics = []
        if asked is None or (v == 0 and not asked):
            with self.lock:
                topics = [self._metadata_topic(t)
                          for t in sorted(self.topics.values(),
                                          key=lambda t: t.name)]
        else:
            for a in asked:
                name = a.get("Name")
                if name is None:
                    t = self._topic_by_id(a.get("TopicId"))
                    topics.append(self._metadata_topic(
                        t, ERR_UNKNOWN_TOPIC_ID, None, a.get("TopicId")))
                    continue
                t = self.topics.get(name)
                if t is None and auto:
                    t = self.create_topic(name)
                topics.append(self._metadata_topic(
                    t, ERR_UNKNOWN_TOPIC_OR_PARTITION, name))
        return {"ThrottleTimeMs": 0,
                "Brokers": [{"NodeId": NODE_ID, "Host": self.host,
                             "Port": self.port, "Rack": None}],
                "ClusterId": CLUSTER_ID, "ControllerId": NODE_ID,
                "Topics": topics,
                "ClusterAuthorizedOperations": -2147483648}

    def _produce(self, req, v, header):
        responses = []
        for td in req["TopicData"]:
            t = self.topics.get(td["Name"])
            parts = []
            for pd in td["PartitionData"]:
                p = pd["Index"]
                if t is None or not 0 <= p < len(t.logs):
                    parts.append({"Index": p, "BaseOffset": -1,
                                  "ErrorCode": ERR_UNKNOWN_TOPIC_OR_PARTITION})
                    continue
                base = self._append(t, p, pd["Records"] or b"")
                parts.append({"Index": p, "ErrorCode": 0, "BaseOffset": base,
                              "LogAppendTimeMs": -1, "LogStartOffset": 0})
            responses.append({"Name": td["Name"], "PartitionResponses": parts})
        if req["Acks"] == 0:
            return _NO_RESPONSE
        return {"Responses": responses, "ThrottleTimeMs": 0}

    def _append(self, t, p, records):
        with self.lock:
            base = t.end_offset(p)
            offset = base
            for start, end, magic, count in split_batches(records):
                batch = bytearray(records[start:end])
                if magic == 2:  # the CRC does not cover baseOffset
                    struct.pack_into(">q", batch, 0, offset)
                t.logs[p].append((offset, count, bytes(batch)))
                offset += count
            self.lock.notify_all()
        return base

    def _fetch_partition(self, t, fp, v):
        p = fp["Partition"]
        out = {"PartitionIndex": p, "HighWatermark": -1,
               "LastStableOffset": -1, "LogStartOffset": -1,
               "AbortedTransactions": [], "PreferredReadReplica": -1,
               "Records": b""}
        if t is None or not 0 <= p < len(t.logs):
            out["ErrorCode"] = (ERR_UNKNOWN_TOPIC_ID if v >= 13
                                else ERR_UNKNOWN_TOPIC_OR_PARTITION)
            return out, False
        end = t.end_offset(p)
        out.update(HighWatermark=end, LastStableOffset=end, LogStartOffset=0)
        off = fp["FetchOffset"]
        if not 0 <= off <= end:
            out["ErrorCode"] = ERR_OFFSET_OUT_OF_RANGE
            return out, True
        out["ErrorCode"] = 0
        data = b""
        for base, count, batch in t.logs[p]:
            if base + count <= off:
                continue
            if data and len(data) + len(batch) > fp["PartitionMaxBytes"]:
                break
            data += batch
        out["Records"] = data
        return out, bool(data)

    def _fetch(self, req, v, header):
        deadline = time.monotonic() + min(req["MaxWaitMs"] / 1000.0,
                                          LONG_POLL_CAP_S)
        while True:
            responses = []
            ready = False
            with self.lock:
                for ft in req["Topics"]:
                    t = (self._topic_by_id(ft["TopicId"]) if v >= 13
                         else self.topics.get(ft["Topic"]))
                    parts = []
                    for fp in ft["Partitions"]:
                        pd, has = self._fetch_partition(t, fp, v)
                        parts.append(pd)
                        ready = ready or has
                    responses.append({"Topic": ft.get("Topic"),
                                      "TopicId": ft.get("TopicId"),
                                      "Partitions": parts})
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._stopping.is_set():
                    break
                self.lock.wait(left)
        return {"ThrottleTimeMs": 0, "ErrorCode": 0, "SessionId": 0,
                "Responses": responses}

    def _list_offsets(self, req, v, header):
        topics = []
        for lt in req["Topics"]:
            t = self.topics.get(lt["Name"])
            parts = []
            for lp in lt["Partitions"]:
                p = lp["PartitionIndex"]
                if t is None or not 0 <= p < len(t.logs):
                    parts.append({"PartitionIndex": p, "ErrorCode":
                                  ERR_UNKNOWN_TOPIC_OR_PARTITION})
                    continue
                end = t.end_offset(p)
                ts = lp["Timestamp"]
                off = 0 if ts == -2 else end  # earliest; latest and others
                parts.append({"PartitionIndex": p, "ErrorCode": 0,
                              "OldStyleOffsets": [off], "Timestamp": -1,
                              "Offset": off, "LeaderEpoch": 0})
            topics.append({"Name": lt["Name"], "Partitions": parts})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    def _find_coordinator(self, req, v, header):
        me = {"NodeId": NODE_ID, "Host": self.host, "Port": self.port,
              "ErrorCode": 0, "ErrorMessage": None}
        if v >= 4:
            return {"ThrottleTimeMs": 0, "Coordinators": [
                dict(me, Key=k) for k in req["CoordinatorKeys"]]}
        return dict(me, ThrottleTimeMs=0)

    def _group(self, group_id):
        with self.lock:
            if group_id not in self.groups:
                self.groups[group_id] = Group(group_id)
            return self.groups[group_id]

    def _join_group(self, req, v, header):
        g = self._group(req["GroupId"])
        member = req["MemberId"]
        with self.lock:
            if not member:
                self.next_member += 1
                member = "%s-%04d" % (header.client_id or "member",
                                      self.next_member)
                if v >= 4 and self.member_id_required \
                        and req.get("GroupInstanceId") is None:
                    g.pending.add(member)
                    return {"ThrottleTimeMs": 0,
                            "ErrorCode": ERR_MEMBER_ID_REQUIRED,
                            "GenerationId": -1, "ProtocolName": None
                            if v >= 7 else "", "Leader": "",
                            "MemberId": member, "Members": []}
            g.pending.discard(member)
            # Single-member groups: each join starts a new generation with
            # the joiner alone, as leader.
            g.generation += 1
            g.members = {member: (req.get("GroupInstanceId"), None)}
            g.protocol_type = req["ProtocolType"]
            proto = req["Protocols"][0]
            g.protocol_name = proto["Name"]
            g.leader = member
            g.assignments = {}
            return {"ThrottleTimeMs": 0, "ErrorCode": 0,
                    "GenerationId": g.generation,
                    "ProtocolType": g.protocol_type,
                    "ProtocolName": g.protocol_name, "Leader": member,
                    "SkipAssignment": False, "MemberId": member,
                    "Members": [{"MemberId": member,
                                 "GroupInstanceId": req.get("GroupInstanceId"),
                                 "Metadata": proto["Metadata"]}]}

    def _sync_group(self, req, v, header):
        g = self._group(req["GroupId"])
        with self.lock:
            err = self._check_member(g, req["MemberId"], req["GenerationId"])
            if not err:
                for a in req["Assignments"]:
                    g.assignments[a["MemberId"]] = a["Assignment"]
            return {"ThrottleTimeMs": 0, "ErrorCode": err,
                    "ProtocolType": g.protocol_type,
                    "ProtocolName": g.protocol_name,
                    "Assignment": g.assignments.get(req["MemberId"], b"")}

    @staticmethod
    def _check_member(g, member, generation):
        if member not in g.members:
            return ERR_UNKNOWN_MEMBER_ID
        if generation != g.generation:
            return ERR_ILLEGAL_GENERATION
        return ERR_NONE

    def _heartbeat(self, req, v, header):
        g = self._group(req["GroupId"])
        with self.lock:
            err = self._check_member(g, req["MemberId"], req["GenerationId"])
        return {"ThrottleTimeMs": 0, "ErrorCode": err}

    def _leave_group(self, req, v, header):
        g = self._group(req["GroupId"])
        members = ([{"MemberId": req["MemberId"]}] if v < 3
                   else req["Members"])
        out = []
        with self.lock:
            for m in members:
                err = ERR_NONE if m["MemberId"] in g.members \
                    else ERR_UNKNOWN_MEMBER_ID
                g.members.pop(m["MemberId"], None)
                out.append({"MemberId": m["MemberId"],
                            "GroupInstanceId": m.get("GroupInstanceId"),
                            "ErrorCode": err})
        return {"ThrottleTimeMs": 0, "ErrorCode": 0, "Members": out}

    def _offset_commit(self, req, v, header):
        g = self._group(req["GroupId"])
        topics = []
        with self.lock:
            for t in req["Topics"]:
                parts = []
                for p in t["Partitions"]:
                    g.offsets[(t["Name"], p["PartitionIndex"])] = (
                        p["CommittedOffset"], p["CommittedMetadata"])
                    parts.append({"PartitionIndex": p["PartitionIndex"],
                                  "ErrorCode": 0})
                topics.append({"Name": t["Name"], "Partitions": parts})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    def _offsets_for(self, group_id, asked):
        g = self._group(group_id)
        with self.lock:
            if asked is None:  # all committed offsets of the group
                by_topic = {}
                for (tn, p) in sorted(g.offsets):
                    by_topic.setdefault(tn, []).append(p)
                asked = [{"Name": tn, "PartitionIndexes": ps}
                         for tn, ps in by_topic.items()]
            topics = []
            for t in asked:
                parts = []
                for p in t["PartitionIndexes"]:
                    off, meta = g.offsets.get((t["Name"], p), (-1, ""))
                    parts.append({"PartitionIndex": p, "CommittedOffset": off,
                                  "CommittedLeaderEpoch": -1,
                                  "Metadata": meta, "ErrorCode": 0})
                topics.append({"Name": t["Name"], "Partitions": parts})
        return topics

    def _offset_fetch(self, req, v, header):
        if v >= 8:
            return {"ThrottleTimeMs": 0, "Groups": [
                {"GroupId": gr["GroupId"], "ErrorCode": 0,
                 "Topics": self._offsets_for(gr["GroupId"], gr["Topics"])}
                for gr in req["Groups"]]}
        return {"ThrottleTimeMs": 0, "ErrorCode": 0,
                "Topics": self._offsets_for(req["GroupId"], req["Topics"])}

    def _create_topics(self, req, v, header):
        out = []
        for ct in req["Topics"]:
            n = ct["NumPartitions"]
            if n < 0:
                n = len(ct["Assignments"]) or DEFAULT_PARTITIONS
            exists = ct["Name"] in self.topics
            if not exists and not req.get("validateOnly"):
                self.create_topic(ct["Name"], n)
            out.append({"Name": ct["Name"], "TopicId": topic_uuid(ct["Name"]),
                        "ErrorCode": ERR_TOPIC_ALREADY_EXISTS if exists else 0,
                        "ErrorMessage": None, "NumPartitions": n,
                        "ReplicationFactor": 1, "Configs": []})
        return {"ThrottleTimeMs": 0, "Topics": out}

    def _delete_topics(self, req, v, header):
        asked = ([{"Name": n, "TopicId": b"\0" * 16} for n in req["TopicNames"]]
                 if v < 6 else req["Topics"])
        out = []
        with self.lock:
            for a in asked:
                t = (self.topics.get(a["Name"]) if a["Name"] is not None
                     else self._topic_by_id(a["TopicId"]))
                if t is not None:
                    del self.topics[t.name]
                out.append({"Name": a["Name"] if t is None else t.name,
                            "TopicId": t.id if t else a["TopicId"],
                            "ErrorCode": 0 if t else (
                                ERR_UNKNOWN_TOPIC_OR_PARTITION
                                if a["Name"] is not None
                                else ERR_UNKNOWN_TOPIC_ID),
                            "ErrorMessage": None})
        return {"ThrottleTimeMs": 0, "Responses": out}

    def _init_producer_id(self, req, v, header):
        with self.lock:
            pid = req.get("ProducerId", -1)
            if pid is None or pid < 0:
                self.next_producer_id += 1
                pid, epoch = self.next_producer_id, 0
            else:
                epoch = req["ProducerEpoch"] + 1
        return {"ThrottleTimeMs": 0, "ErrorCode": 0, "ProducerId": pid,
                "ProducerEpoch": epoch}

    def _add_partitions_to_txn(self, req, v, header):
        def results(topics):
            return [{"Name": t["Name"], "ResultsByPartition": [
                {"PartitionIndex": p, "PartitionErrorCode": 0}
                for p in t["Partitions"]]} for t in topics]
        if v >= 4:  # batched by transaction (KIP-890)
            return {"ThrottleTimeMs": 0, "ErrorCode": 0,
                    "ResultsByTransaction": [
                        {"TransactionalId": t["TransactionalId"],
                         "TopicResults": results(t["Topics"])}
                        for t in req["Transactions"]]}
        return {"ThrottleTimeMs": 0,
                "ResultsByTopicV3AndBelow": results(req["V3AndBelowTopics"])}

    def _add_offsets_to_txn(self, req, v, header):
        return {"ThrottleTimeMs": 0, "ErrorCode": 0}

    def _end_txn(self, req, v, header):
        return {"ThrottleTimeMs": 0, "ErrorCode": 0}

    def _txn_offset_commit(self, req, v, header):
        g = self._group(req["GroupId"])
        topics = []
        with self.lock:
            for t in req["Topics"]:
                for p in t["Partitions"]:
                    g.offsets[(t["Name"], p["PartitionIndex"])] = (
                        p["CommittedOffset"], p["CommittedMetadata"])
                topics.append({"Name": t["Name"], "Partitions": [
                    {"PartitionIndex": p["PartitionIndex"], "ErrorCode": 0}
                    for p in t["Partitions"]]})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    def _describe_configs(self, req, v, header):
        return {"ThrottleTimeMs": 0, "Results": [
            {"ErrorCode": 0, "ErrorMessage": None,
             "ResourceType": r["ResourceType"],
             "ResourceName": r["ResourceName"], "Configs": []}
            for r in req["Resources"]]}


def _snake(name):
    out = ""
    for i, c in enumerate(name):
        if c.isupper() and i:
            out += "_"
        out += c.lower()
    return out


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    broker = CaptureBroker(port=port, log=lambda m: print(m, flush=True))
    print("listening on 127.0.0.1:%d" % broker.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    broker.stop()
    print("%d frames captured" % len(broker.frames))


if __name__ == "__main__":
    main()
