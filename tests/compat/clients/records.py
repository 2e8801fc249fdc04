"""The records every client case of karstd_clients_test produces, and their check.

Record i (0 <= i < count) has key k = i % NKEYS ("k0042"), per-key sequence
number seq = i // NKEYS, value "<tag>|i=<i>|k=<k>|seq=<seq>|<filler>", headers
[("i", "<i>"), ("tag", "<tag>")] and CreateTime timestamp base + i. The JS and
Go clients (kafkajs_client.js, sarama_client.go) build the same records.

Checker takes what a consumer read, partition by partition in the order it
was delivered, and reports every mismatch: an offset not above the previous
one, a record never produced or read twice, a key, value, header or timestamp
that differs, a key seen in two partitions, or a key's seq not increasing
within its partition. Missing records are reported by missing().
"""

NKEYS = 1000
FILLER = "karst-compat-" * 4


def key_of(i):
    return "k%04d" % (i % NKEYS)


def value_of(tag, i):
    return "%s|i=%d|k=%d|seq=%d|%s" % (tag, i, i % NKEYS, i // NKEYS, FILLER)


def headers_of(tag, i):
    return [("i", str(i)), ("tag", tag)]


def index_of(value):
    """The record index in a value, or None if the value is not one of ours."""
    try:
        parts = value.split("|")
        return int(parts[1][2:]) if parts[1].startswith("i=") else None
    except (IndexError, ValueError):
        return None


class Checker:
    MAX_ERRORS = 20

    def __init__(self, tag, count, base_ts, headers_of=headers_of, timestamp_range=None):
        """Record i must carry headers_of(tag, i) and timestamp base_ts + i, or, when
        timestamp_range is (lo, hi), any timestamp in lo..hi (clients that cannot set one)."""
        self.tag, self.count, self.base_ts = tag, count, base_ts
        self.headers_of, self.timestamp_range = headers_of, timestamp_range
        self.seen = bytearray(count)
        self.num_seen = 0
        self.last_offset = {}   # partition -> offset
        self.last_seq = {}      # key -> (partition, seq)
        self.errors = []
        self.num_errors = 0

    def error(self, msg):
        self.num_errors += 1
        if len(self.errors) < self.MAX_ERRORS:
            self.errors.append(msg)

    def add(self, partition, offset, key, value, headers, timestamp):
        """key, value: str or None; headers: list of (str, str or None)."""
        where = "partition %d offset %d" % (partition, offset)
        prev = self.last_offset.get(partition)
        if prev is not None and offset <= prev:
            self.error("%s: offset not above the previous %d" % (where, prev))
        self.last_offset[partition] = offset
        i = index_of(value) if value is not None else None
        if i is None or not 0 <= i < self.count:
            self.error("%s: value %r is not a record of this run" % (where, value))
            return
        if self.seen[i]:
            self.error("%s: record %d read twice" % (where, i))
            return
        self.seen[i] = 1
        self.num_seen += 1
        if key != key_of(i):
            self.error("%s: record %d key %r, want %r" % (where, i, key, key_of(i)))
        if value != value_of(self.tag, i):
            self.error("%s: record %d value %r, want %r" % (where, i, value, value_of(self.tag, i)))
        want_headers = self.headers_of(self.tag, i)
        if list(headers) != want_headers:
            self.error("%s: record %d headers %r, want %r" % (where, i, headers, want_headers))
        if self.timestamp_range is not None:
            lo, hi = self.timestamp_range
            if not lo <= timestamp <= hi:
                self.error("%s: record %d timestamp %r, want %d..%d" % (where, i, timestamp, lo, hi))
        elif timestamp != self.base_ts + i:
            self.error("%s: record %d timestamp %r, want %d" % (where, i, timestamp, self.base_ts + i))
        k, seq = i % NKEYS, i // NKEYS
        last = self.last_seq.get(k)
        if last is not None:
            if last[0] != partition:
                self.error("%s: key %s also in partition %d" % (where, key_of(i), last[0]))
            elif seq <= last[1]:
                self.error("%s: key %s seq %d after seq %d" % (where, key_of(i), seq, last[1]))
        self.last_seq[k] = (partition, seq)

    def done(self):
        return self.num_seen >= self.count

    def missing(self):
        first = [i for i in range(self.count) if not self.seen[i]][:10]
        return "%d of %d records never read (first: %s)" % (
            self.count - self.num_seen, self.count, first)

    def report(self, name):
        """Prints the outcome; returns the process exit code."""
        if self.num_errors == 0 and self.done():
            print("%s: OK: %d records in %d partitions verified (%s)" % (
                name, self.num_seen, len(self.last_offset),
                ", ".join("p%d..%d" % (p, o) for p, o in sorted(self.last_offset.items()))))
            return 0
        print("%s: FAILED: %d mismatches" % (name, self.num_errors))
        for e in self.errors:
            print("  " + e)
        if not self.done():
            print("  " + self.missing())
        return 1
