#!/usr/bin/python3
"""kcat against a Karst cluster: `kcat -P` produces COUNT keyed records (-K)
with acks=all and CODEC (-z) to TOPIC, which does not exist yet, so the
producer's Metadata request auto-creates it with the cluster's num.partitions
and default.replication.factor (checked against PARTITIONS and REPLICAS with
`kcat -L -J`). kcat sets one header list for every record and no timestamps,
so each record carries the header tag=kcat-CODEC and a CreateTime taken while
kcat ran. `kcat -C -e` then reads every partition from the beginning to its
end and the records are checked as records.py does.

Usage: /usr/bin/python3 kcat_client.py BOOTSTRAP TOPIC COUNT CODEC
       [PARTITIONS REPLICAS]
KCAT names the binary (default /usr/bin/kcat). Exits 0 when all were read
back intact, 1 naming the mismatches.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import records  # noqa: E402

KCAT = os.environ.get("KCAT", "/usr/bin/kcat")
DEADLINE_S = float(os.environ.get("KARST_CLIENT_DEADLINE_S", "120"))


def fail(msg):
    print("kcat: FAILED: " + msg, flush=True)
    sys.exit(1)


def run(args, deadline, stdin=None):
    try:
        p = subprocess.run([KCAT] + args, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        fail("kcat %s: not done by the deadline" % " ".join(args))
    if p.returncode != 0:
        fail("kcat %s: exit code %d\n%s" % (" ".join(args), p.returncode,
                                            p.stderr.decode(errors="replace")[-4000:]))
    return p.stdout, p.stderr.decode(errors="replace")


def main():
    if len(sys.argv) not in (5, 7):
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic, count, codec = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    partitions, replicas = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) == 7 else (3, 3)
    tag = "kcat-" + codec
    start = time.monotonic()
    deadline = start + DEADLINE_S
    lines = "".join("%s\t%s\n" % (records.key_of(i), records.value_of(tag, i))
                    for i in range(count)).encode()
    lo = int(time.time() * 1000)
    _, err = run(["-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-z", codec,
                  "-H", "tag=" + tag, "-X", "acks=all", "-X", "linger.ms=20",
                  "-X", "queue.buffering.max.messages=%d" % (count + 1000)], deadline, lines)
    hi = int(time.time() * 1000)
    if "Delivery failed" in err or "ERROR" in err:
        fail("kcat -P reported errors:\n" + err[-4000:])
    t_produced = time.monotonic()

    out, _ = run(["-L", "-J", "-b", bootstrap, "-t", topic], deadline)
    md = [t for t in json.loads(out)["topics"] if t["topic"] == topic]
    if (len(md) != 1 or len(md[0]["partitions"]) != partitions or
            any(len(p["replicas"]) != replicas for p in md[0]["partitions"])):
        fail("auto-created %s is not %d partitions x %d replicas: %s" % (
            topic, partitions, replicas, md))

    out, _ = run(["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                  "-f", "%p\t%o\t%T\t%k\t%s\t%h\n"], deadline)
    checker = records.Checker(tag, count, 0, headers_of=lambda tag, i: [("tag", tag)],
                              timestamp_range=(lo, hi))
    for line in out.decode().splitlines():
        f = line.split("\t")
        if len(f) != 6:
            checker.error("kcat -C printed %r" % line)
            continue
        headers = [tuple(h.split("=", 1)) for h in f[5].split(",") if h]
        checker.add(int(f[0]), int(f[1]), f[3], f[4], headers, int(f[2]))
    t_consumed = time.monotonic()
    print("kcat %s: produce %.1fs, consume %.1fs" % (codec, t_produced - start,
                                                     t_consumed - t_produced))
    return checker.report("kcat " + codec)


if __name__ == "__main__":
    sys.exit(main())
