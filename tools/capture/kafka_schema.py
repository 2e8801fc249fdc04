#!/usr/bin/python3
"""Schema-driven Kafka message codec built from Apache Kafka's message JSONs.

Stdlib only. Loads `*Request.json` / `*Response.json` (the files in Kafka's
clients/src/main/resources/common/message, comments allowed) and decodes or
encodes any version of any message they describe, flexible versions included:
compact strings/arrays/bytes, unsigned-varint tagged fields, nullable structs.

A decoded message is a dict keyed by the JSON field names. Tagged fields that
were present are listed under "_tagged" (so re-encoding writes exactly those)
and tags the schema does not know are kept raw under "_unknown_tagged", so
decode followed by encode reproduces the input bytes exactly. When encoding a
dict built by hand, a missing field takes the schema's default and a tagged
field is written only when the dict holds it.

    schemas = Schemas.load(messages_dir)
    body = schemas.request(api_key).decode(version, reader)
    data = schemas.response(api_key).encode(version, body_dict)
    header = decode_request_header(frame) -> (RequestHeader, body_offset)
"""

import json
import os
import re
import struct
from collections import namedtuple

# Where the message JSONs usually are; KARST_KAFKA_MESSAGES overrides.
_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MESSAGE_DIRS = [
    os.path.join(_HERE, "..", "..", "kafka", "protocol", "messages"),
    os.path.join(_HERE, "..", "..", "..", "shared", "kafka-protocol",
                 "messages"),
    "/work/shared/kafka-protocol/messages",
]


def find_messages_dir(explicit=None):
    candidates = ([explicit] if explicit else []) + (
        [os.environ["KARST_KAFKA_MESSAGES"]]
        if os.environ.get("KARST_KAFKA_MESSAGES") else []) + DEFAULT_MESSAGE_DIRS
    for d in candidates:
        if d and os.path.isfile(os.path.join(d, "ApiVersionsRequest.json")):
            return os.path.abspath(d)
    raise FileNotFoundError(
        "Kafka message JSONs not found; set KARST_KAFKA_MESSAGES (tried %s)"
        % ", ".join(c for c in candidates if c))


class Reader:
    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("short read: need %d at %d of %d"
                             % (n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return bytes(b)

    def unpack(self, fmt, n):
        return struct.unpack(fmt, self.take(n))[0]

    def uvarint(self):
        shift = 0
        out = 0
        while True:
            b = self.take(1)[0]
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7
            if shift > 35:
                raise ValueError("uvarint too long")


class Writer:
    def __init__(self):
        self.parts = []

    def raw(self, b):
        self.parts.append(bytes(b))

    def pack(self, fmt, v):
        self.parts.append(struct.pack(fmt, v))

    def uvarint(self, v):
        out = bytearray()
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
        self.parts.append(bytes(out))

    def getvalue(self):
        return b"".join(self.parts)


def uvarint_bytes(v):
    w = Writer()
    w.uvarint(v)
    return w.getvalue()


class VersionRange:
    def __init__(self, text):
        text = (text or "none").strip()
        if text == "none":
            self.lo, self.hi = 1, 0
        elif text.endswith("+"):
            self.lo, self.hi = int(text[:-1]), 1 << 15
        elif "-" in text:
            lo, hi = text.split("-")
            self.lo, self.hi = int(lo), int(hi)
        else:
            self.lo = self.hi = int(text)

    def __contains__(self, v):
        return self.lo <= v <= self.hi


_PRIMS = {
    "int8": (">b", 1), "int16": (">h", 2), "int32": (">i", 4),
    "int64": (">q", 8), "uint16": (">H", 2), "uint32": (">I", 4),
    "float64": (">d", 8),
}
_ZERO_UUID = b"\0" * 16


class Field:
    def __init__(self, spec, structs):
        self.name = spec["name"]
        t = spec["type"]
        self.is_array = t.startswith("[]")
        self.elem = t[2:] if self.is_array else t
        self.versions = VersionRange(spec.get("versions"))
        self.nullable = VersionRange(spec.get("nullableVersions"))
        self.tagged = VersionRange(spec.get("taggedVersions"))
        self.tag = spec.get("tag")
        self.default = spec.get("default")
        self.struct = None
        if "fields" in spec:
            self.struct = Struct(self.elem, spec["fields"], structs)
            structs.setdefault(self.elem, self.struct)
        elif self.elem not in _PRIMS and self.elem not in (
                "bool", "string", "bytes", "records", "uuid"):
            self.struct = structs.get(self.elem)  # common struct, maybe later
            self._struct_name = self.elem

    def resolve(self, structs):
        if self.struct is None and self.elem not in _PRIMS and self.elem not in (
                "bool", "string", "bytes", "records", "uuid"):
            self.struct = structs[self.elem]
        if self.struct is not None:
            self.struct.resolve(structs)

    def default_value(self, v):
        if self.is_array:
            return [] if not (v in self.nullable and self.default == "null") \
                else None
        if self.struct is not None:
            return None if v in self.nullable else self.struct.defaults(v)
        d = self.default
        if self.elem in _PRIMS:
            if d is None or d == "":
                return 0
            if self.elem == "float64":
                return float(d)
            return int(d, 0) if isinstance(d, str) else int(d)
        if self.elem == "bool":
            return d in (True, "true")
        if self.elem == "uuid":
            return _ZERO_UUID
        if self.elem == "string":
            if d == "null":
                return None
            return d or ""
        if self.elem in ("bytes", "records"):
            return None if (v in self.nullable or self.elem == "records") \
                else b""
        raise ValueError("no default for %s" % self.elem)


class Struct:
    def __init__(self, name, field_specs, structs):
        self.name = name
        self.fields = [Field(f, structs) for f in field_specs]
        self._resolved = False

    def resolve(self, structs):
        if self._resolved:
            return
        self._resolved = True
        for f in self.fields:
            f.resolve(structs)

    def defaults(self, v):
        return {f.name: f.default_value(v) for f in self.fields
                if v in f.versions}

    # -- decoding --------------------------------------------------------
    def decode(self, v, flex, r):
        out = {}
        for f in self.fields:
            if v not in f.versions or (flex and v in f.tagged):
                continue
            out[f.name] = _decode_field(f, v, flex, r)
        if flex:
            tagged_fields = {f.tag: f for f in self.fields
                             if v in f.versions and v in f.tagged}
            present = []
            unknown = []
            for _ in range(r.uvarint()):
                tag = r.uvarint()
                size = r.uvarint()
                payload = r.take(size)
                f = tagged_fields.get(tag)
                if f is None:
                    unknown.append((tag, payload))
                    continue
                sub = Reader(payload)
                out[f.name] = _decode_field(f, v, flex, sub)
                if sub.remaining():
                    raise ValueError("tagged field %s: %d trailing bytes"
                                     % (f.name, sub.remaining()))
                present.append(f.name)
            out["_tagged"] = present
            if unknown:
                out["_unknown_tagged"] = unknown
        return out

    # -- encoding --------------------------------------------------------
    def encode(self, v, flex, value, w):
        value = value or {}
        for f in self.fields:
            if v not in f.versions or (flex and v in f.tagged):
                continue
            val = value[f.name] if f.name in value else f.default_value(v)
            _encode_field(f, v, flex, val, w)
        if flex:
            present = value.get("_tagged")
            entries = []
            for f in self.fields:
                if v not in f.versions or v not in f.tagged:
                    continue
                if present is not None:
                    if f.name not in present:
                        continue
                elif f.name not in value:
                    continue
                sub = Writer()
                _encode_field(f, v, flex, value[f.name], sub)
                entries.append((f.tag, sub.getvalue()))
            entries += list(value.get("_unknown_tagged", []))
            entries.sort(key=lambda e: e[0])
            w.uvarint(len(entries))
            for tag, payload in entries:
                w.uvarint(tag)
                w.uvarint(len(payload))
                w.raw(payload)


def _decode_length(f, v, flex, r, what):
    if flex:
        n = r.uvarint() - 1
    else:
        n = r.unpack(">i", 4) if what == "array_or_bytes" else r.unpack(
            ">h", 2)
    if n < 0:
        if v not in f.nullable and f.elem != "records":
            raise ValueError("null %s for non-nullable field %s v%d"
                             % (f.elem, f.name, v))
        return None
    return n


def _decode_single(f, elem, v, flex, r):
    if elem in _PRIMS:
        fmt, n = _PRIMS[elem]
        return r.unpack(fmt, n)
    if elem == "bool":
        b = r.take(1)[0]
        if b > 1:
            raise ValueError("bool %s = %d" % (f.name, b))
        return bool(b)
    if elem == "uuid":
        return r.take(16)
    if elem == "string":
        n = _decode_length(f, v, flex, r, "string")
        return None if n is None else r.take(n).decode("utf-8")
    if elem in ("bytes", "records"):
        n = _decode_length(f, v, flex, r, "array_or_bytes")
        return None if n is None else r.take(n)
    raise ValueError("unknown type %s" % elem)


def _decode_field(f, v, flex, r):
    if f.is_array:
        n = _decode_length(f, v, flex, r, "array_or_bytes")
        if n is None:
            return None
        if f.struct is not None:
            return [f.struct.decode(v, flex, r) for _ in range(n)]
        return [_decode_single(f, f.elem, v, flex, r) for _ in range(n)]
    if f.struct is not None:
        if v in f.nullable:
            marker = r.unpack(">b", 1)
            if marker < 0:
                return None
        return f.struct.decode(v, flex, r)
    return _decode_single(f, f.elem, v, flex, r)


def _encode_length(f, v, flex, n, w, what):
    if n is None:
        if v not in f.nullable and f.elem != "records":
            raise ValueError("null for non-nullable field %s v%d"
                             % (f.name, v))
        n = -1
    if flex:
        w.uvarint(n + 1)
    elif what == "array_or_bytes":
        w.pack(">i", n)
    else:
        w.pack(">h", n)


def _encode_single(f, elem, v, flex, val, w):
    if elem in _PRIMS:
        w.pack(_PRIMS[elem][0], val)
    elif elem == "bool":
        w.raw(b"\x01" if val else b"\x00")
    elif elem == "uuid":
        if len(val) != 16:
            raise ValueError("uuid %s must be 16 bytes" % f.name)
        w.raw(val)
    elif elem == "string":
        b = None if val is None else val.encode("utf-8")
        _encode_length(f, v, flex, None if b is None else len(b), w, "string")
        if b is not None:
            w.raw(b)
    elif elem in ("bytes", "records"):
        _encode_length(f, v, flex, None if val is None else len(val), w,
                       "array_or_bytes")
        if val is not None:
            w.raw(val)
    else:
        raise ValueError("unknown type %s" % elem)


def _encode_field(f, v, flex, val, w):
    if f.is_array:
        _encode_length(f, v, flex, None if val is None else len(val), w,
                       "array_or_bytes")
        for item in val or []:
            if f.struct is not None:
                f.struct.encode(v, flex, item, w)
            else:
                _encode_single(f, f.elem, v, flex, item, w)
    elif f.struct is not None:
        if v in f.nullable:
            if val is None:
                w.pack(">b", -1)
                return
            w.pack(">b", 1)
        f.struct.encode(v, flex, val, w)
    else:
        _encode_single(f, f.elem, v, flex, val, w)


class Message:
    def __init__(self, spec):
        self.name = spec["name"]
        self.api_key = spec.get("apiKey")
        self.type = spec["type"]
        self.valid = VersionRange(spec["validVersions"])
        self.flexible = VersionRange(spec.get("flexibleVersions"))
        self.structs = {}
        for cs in spec.get("commonStructs", []):
            self.structs[cs["name"]] = Struct(cs["name"], cs["fields"],
                                              self.structs)
        self.body = Struct(self.name, spec.get("fields", []), self.structs)
        for s in list(self.structs.values()):
            s.resolve(self.structs)
        self.body.resolve(self.structs)

    def is_flexible(self, v):
        return v in self.flexible

    def decode(self, v, r):
        if v not in self.valid:
            raise ValueError("%s v%d is not a valid version" % (self.name, v))
        return self.body.decode(v, self.is_flexible(v), r)

    def decode_bytes(self, v, data):
        r = Reader(data)
        out = self.decode(v, r)
        if r.remaining():
            raise ValueError("%s v%d: %d trailing bytes"
                             % (self.name, v, r.remaining()))
        return out

    def encode(self, v, value):
        if v not in self.valid:
            raise ValueError("%s v%d is not a valid version" % (self.name, v))
        w = Writer()
        self.body.encode(v, self.is_flexible(v), value, w)
        return w.getvalue()


def _strip_comments(text):
    # Kafka's JSONs use // comments, never inside strings except URLs.
    out = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("//"):
            continue
        out.append(re.sub(r'\s//[^"]*$', "", line))
    return "\n".join(out)


class Schemas:
    def __init__(self, messages):
        self.requests = {}
        self.responses = {}
        for m in messages:
            if m.type == "request":
                self.requests[m.api_key] = m
            elif m.type == "response":
                self.responses[m.api_key] = m

    @classmethod
    def load(cls, messages_dir=None):
        d = find_messages_dir(messages_dir)
        messages = []
        for name in sorted(os.listdir(d)):
            if not (name.endswith("Request.json")
                    or name.endswith("Response.json")):
                continue
            with open(os.path.join(d, name)) as fh:
                spec = json.loads(_strip_comments(fh.read()))
            if spec.get("type") in ("request", "response") \
                    and "apiKey" in spec:
                messages.append(Message(spec))
        return cls(messages)

    def request(self, api_key):
        return self.requests[api_key]

    def response(self, api_key):
        return self.responses[api_key]

    def api_name(self, api_key):
        m = self.requests.get(api_key)
        return m.name[:-len("Request")] if m else "Api%d" % api_key

    def request_header_version(self, api_key, v):
        # ControlledShutdown v0 is the only request with header v0.
        if api_key == 7 and v == 0:
            return 0
        return 2 if self.requests[api_key].is_flexible(v) else 1

    def response_header_version(self, api_key, v):
        if api_key == 18:  # ApiVersions: always v0 (KIP-511)
            return 0
        return 1 if self.responses[api_key].is_flexible(v) else 0


RequestHeader = namedtuple(
    "RequestHeader",
    "api_key api_version correlation_id client_id header_version tagged")


def decode_request_header(frame, schemas):
    """Returns (RequestHeader, body_offset) for a frame without size prefix."""
    r = Reader(frame)
    api_key = r.unpack(">h", 2)
    api_version = r.unpack(">h", 2)
    correlation_id = r.unpack(">i", 4)
    if api_key in schemas.requests:
        hv = schemas.request_header_version(api_key, api_version) \
            if api_version in schemas.requests[api_key].valid else 1
    else:
        hv = 1
    client_id = None
    tagged = []
    if hv >= 1:
        n = r.unpack(">h", 2)
        client_id = None if n < 0 else r.take(n).decode("utf-8")
    if hv >= 2:
        for _ in range(r.uvarint()):
            tag = r.uvarint()
            tagged.append((tag, r.take(r.uvarint())))
    return RequestHeader(api_key, api_version, correlation_id, client_id, hv,
                         tagged), r.pos


def encode_request_header(h):
    w = Writer()
    w.pack(">h", h.api_key)
    w.pack(">h", h.api_version)
    w.pack(">i", h.correlation_id)
    if h.header_version >= 1:
        if h.client_id is None:
            w.pack(">h", -1)
        else:
            b = h.client_id.encode("utf-8")
            w.pack(">h", len(b))
            w.raw(b)
    if h.header_version >= 2:
        w.uvarint(len(h.tagged))
        for tag, payload in h.tagged:
            w.uvarint(tag)
            w.uvarint(len(payload))
            w.raw(payload)
    return w.getvalue()


def roundtrip_request(frame, schemas):
    """Decodes a request frame and re-encodes it.

    Returns (header, body_dict, reencoded_bytes); raises ValueError if the
    frame does not decode completely.
    """
    header, pos = decode_request_header(frame, schemas)
    msg = schemas.request(header.api_key)
    body = msg.decode_bytes(header.api_version, frame[pos:])
    again = encode_request_header(header) + msg.encode(header.api_version,
                                                       body)
    return header, body, again
