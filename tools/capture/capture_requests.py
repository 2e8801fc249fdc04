#!/usr/bin/python3
"""Regenerates the golden Kafka REQUEST frames in kafka/protocol/testdata/requests/.

Real clients run scripted scenarios against protocol_capture.CaptureBroker (a
recording broker on 127.0.0.1): librdkafka 2.0.2 through confluent-kafka-python
and through kcat, kafka-python 2.0.2, kafkajs 2.2.4 and @platformatic/kafka
(tools/capture/node, installed by `npm ci` on first use). Every request frame is kept
as received (header + body, no size prefix), checked to decode and re-encode
byte-identically with the schema codec (kafka_schema.py, from the Kafka message
JSONs), deduplicated, and written as <client>/<ApiName>_v<version>_<n>.bin
with MANIFEST.md. Nothing is written unless every scenario passed.

Besides the CLIENTS.md ranges ("default" profile), kafkajs and platformatic are
also run with the advertised maximum versions lowered step by step ("capN"
profiles): both pick the highest version they implement within the broker's
range, so this records every version they can send, not only their newest.

Usage (Debian's interpreter; the python3 first on PATH lacks the packages):
  /usr/bin/python3 tools/capture/capture_requests.py [--out DIR]
      [--clients a,b] [--no-sweeps] [--keep-going] [-v]
  /usr/bin/python3 tools/capture/capture_requests.py --check [--out DIR]
      re-decode every file in DIR and compare with MANIFEST.md; no clients.
Exit status: 0 all good, 1 a scenario or check failed.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict, namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "kafka", "protocol", "testdata", "requests")
NODE_DIR = os.path.join(HERE, "node")
SCEN_DIR = os.path.join(HERE, "scenarios")
PY = "/usr/bin/python3"
sys.path.insert(0, HERE)

import kafka_schema  # noqa: E402
import protocol_capture  # noqa: E402
from protocol_capture import API_NAMES  # noqa: E402

SCENARIO_DEADLINE_S = 45.0
RELEASE_DEADLINE_S = 20.0

# Scenario: `argv` ({b} = bootstrap), `expect` API keys that must be captured,
# `release` ("stdin" after the script printed HOLD, or "sigint") once every
# key in `wait_for` was captured during the scenario.
Scenario = namedtuple("Scenario", "name argv cwd expect wait_for release stdin")


def scen(name, argv, cwd, expect, wait_for=(), release=None, stdin=None):
    return Scenario(name, argv, cwd, set(expect), set(wait_for), release,
                    stdin)


P, MD, F, LO, OC, OF, FC, JG, HB, LG, SG, AV, CT, DT, IP, APT, AOT, ET, TOC, DC = (
    0, 3, 1, 2, 8, 9, 10, 11, 12, 13, 14, 18, 19, 20, 22, 24, 25, 26, 28, 32)
GROUP = {FC, JG, SG, HB, OF, LO, F, OC, LG}
TXN = {IP, FC, APT, AOT, TOC, ET, P}


def rdkafka_scenarios():
    def s(name, expect, **kw):
        return scen(name, [PY, "rdkafka_scenarios.py", "{b}", name]
                    + (["--hold"] if kw.get("release") else []),
                    SCEN_DIR, {AV, MD} | expect, **kw)
    return [s("produce", {P}), s("idempotent", {IP, P}),
            s("transactional", TXN),
            s("consume", GROUP, wait_for={HB}, release="stdin"),
            s("admin", {CT, DT})]


KCAT_CONF = ["-X", "client.id=karst-capture-kcat", "-X",
             "broker.address.family=v4"]
KCAT_INPUT = b"alpha:value-0\nbravo:value-1\ncharlie:value-2\n"


def kcat_scenarios():
    produce = ["kcat", "-b", "{b}", "-P", "-K:", "-X", "acks=all", "-X",
               "compression.codec=none"] + KCAT_CONF
    return [
        scen("metadata", ["kcat", "-b", "{b}", "-L"] + KCAT_CONF, HERE,
             {AV, MD}),
        scen("produce", produce + ["-t", "karst-golden"], HERE, {AV, MD, P},
             stdin=KCAT_INPUT),
        scen("idempotent", produce + ["-t", "karst-golden-idem", "-X",
                                      "enable.idempotence=true"], HERE,
             {AV, MD, IP, P}, stdin=KCAT_INPUT),
        # -G: balanced consumer; committed offsets, else earliest. -c 3:
        # a clean close (final OffsetCommit, LeaveGroup) after 3 messages.
        scen("consume", ["kcat", "-b", "{b}", "-G", "karst-golden-group",
                         "karst-golden", "-c", "3", "-X",
                         "auto.offset.reset=earliest", "-X",
                         "heartbeat.interval.ms=100", "-X",
                         "fetch.wait.max.ms=100", "-q"] + KCAT_CONF,
             HERE, {AV, MD} | GROUP),
    ]


def kafka_python_scenarios():
    def s(name, expect, **kw):
        return scen(name, [PY, "kafka_python_scenarios.py", "{b}", name]
                    + (["--hold"] if kw.get("release") else []),
                    SCEN_DIR, {AV, MD} | expect, **kw)
    return [s("produce", {P}),
            s("consume", GROUP, wait_for={HB}, release="stdin"),
            s("admin", {CT, DT})]


def node_scenarios(script):
    def s(name, expect, **kw):
        return scen(name, ["node", script, "{b}", name]
                    + (["--hold"] if kw.get("release") else []),
                    NODE_DIR, {AV, MD} | expect, **kw)
    return [s("produce", {P}), s("idempotent", {IP, P}),
            s("transactional", TXN),
            s("consume", GROUP, wait_for={HB},
              release="stdin"),
            s("admin", {CT, DT, DC, LO})]


# Versions each client implements (its own sources), for the sweeps.
KAFKAJS_MAX = {P: 7, F: 11, LO: 3, MD: 6, FC: 2, JG: 5, HB: 3, LG: 3, SG: 3,
               OC: 5, OF: 4, IP: 1, APT: 1, AOT: 1, ET: 1, TOC: 1, CT: 3,
               DT: 1, DC: 2}
PLATFORMATIC = {P: (7, 11), F: (12, 17), LO: (5, 9), MD: (9, 12),
                FC: (4, 6), JG: (6, 9), HB: (4, 4), LG: (4, 5), SG: (4, 5),
                OC: (8, 9), OF: (8, 9), IP: (3, 5), APT: (3, 5),
                AOT: (1, 4), ET: (3, 4), TOC: (3, 4), CT: (7, 7),
                DT: (6, 6), DC: (2, 4)}

# Versions @platformatic/kafka 1.35.0 sends malformed: the sweeps step over
# them and the "malformed-*" profiles capture them on purpose.
PLATFORMATIC_BROKEN = {(MD, 11), (DC, 2)}


def platformatic_capped(step):
    """capped() for platformatic, kept to ranges a real broker can have:
    Fetch 13+ names topics by id, which only Metadata 10+ hands out (given
    Metadata 9 with Fetch 13/14 it writes no TopicId at all)."""
    adv = capped(PLATFORMATIC, step, PLATFORMATIC_BROKEN)
    if adv[F][1] >= 13 and adv[MD][1] < 10:
        adv[MD] = (adv[MD][0], 10)
    return adv


def capped(maxima, step, skip=()):
    """ADVERTISED with each API's max lowered to (client max - step), never
    below the broker's accepted minimum or the client's own minimum, and
    stepping over the (key, version) pairs in `skip` (down, else up)."""
    adv = dict(protocol_capture.ADVERTISED)
    for key, hi in maxima.items():
        client_lo = 0
        if isinstance(hi, tuple):
            client_lo, hi = hi
        lo = adv[key][0]
        floor = max(lo, protocol_capture.ACCEPT_MIN.get(key, 0), client_lo)
        top = min(adv[key][1], hi)
        want = max(floor, hi - step)
        usable = [v for v in range(floor, top + 1) if (key, v) not in skip]
        below = [v for v in usable if v <= want]
        cap = max(below) if below else min(usable)
        adv[key] = (lo, cap)
    return adv


def with_ranges(ranges):
    adv = dict(protocol_capture.ADVERTISED)
    adv.update(ranges)
    return adv


def with_range(key, lo, hi):
    return with_ranges({key: (lo, hi)})


Client = namedtuple("Client", "name label version scenarios profiles")
# A run of a client's scenarios against a fresh broker advertising `advertised`
# (None: the CLIENTS.md ranges); `only`: scenario names to run (None: all).
# `malformed`: the profile exists to capture requests the client encodes
# wrongly: its scenarios may fail, only frames that do not round-trip are
# kept, under <client>/malformed/, and at least one must be seen.
Profile = namedtuple("Profile", "name advertised only malformed")


def profile(name, advertised=None, only=None, malformed=False):
    return Profile(name, advertised, only, malformed)


def tool_version(argv, cwd=None):
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def node_pkg_version(pkg):
    try:
        with open(os.path.join(NODE_DIR, "node_modules", pkg,
                               "package.json")) as f:
            return json.load(f)["version"]
    except OSError:
        return "?"


def clients(sweeps):
    rd = tool_version([PY, "-c", "import confluent_kafka as c;"
                       "print(c.version()[0], c.libversion()[0])"]).split()
    kp = tool_version([PY, "-c", "import kafka; print(kafka.__version__)"])
    m = re.search(r"Version (\S+) .*librdkafka (\S+)",
                  tool_version(["kcat", "-V"]))
    kcat_v, kcat_lib = m.groups() if m else ("?", "?")
    kcat_label = "kcat %s (librdkafka %s)" % (kcat_v, kcat_lib)
    pf = [profile("default")]
    return [
        Client("librdkafka", "librdkafka %s via confluent-kafka-python %s"
               % (rd[1] if len(rd) > 1 else "?", rd[0] if rd else "?"),
               rd[1] if len(rd) > 1 else "?", rdkafka_scenarios(), pf),
        Client("kcat", kcat_label, kcat_v, kcat_scenarios(), pf + [
            # KIP-511 fallback: ApiVersions v3 answered with error 35.
            profile("apiversions-max2", with_range(AV, 0, 2), ["metadata"])]),
        Client("kafka-python", "kafka-python %s" % kp, kp,
               kafka_python_scenarios(), pf),
        Client("kafkajs", "kafkajs %s" % node_pkg_version("kafkajs"),
               node_pkg_version("kafkajs"),
               node_scenarios("kafkajs_scenarios.mjs"),
               pf + ([profile("cap%d" % k, capped(KAFKAJS_MAX, k))
                      for k in (1, 2, 3)] if sweeps else [])),
        Client("platformatic", "@platformatic/kafka %s"
               % node_pkg_version("@platformatic/kafka"),
               node_pkg_version("@platformatic/kafka"),
               node_scenarios("platformatic_scenarios.mjs"),
               pf + ([profile("cap%d" % k, platformatic_capped(k))
                      for k in (1, 2, 3, 4, 5)] if sweeps else []) + [
                   # Transaction APIs up to the newest versions (CLIENTS.md
                   # stops at 3): AddPartitionsToTxn 4-5 are KIP-890's.
                   profile("txn-max", with_ranges({APT: (0, 5), AOT: (0, 4),
                                                   ET: (0, 5), TOC: (0, 4)}),
                           ["transactional"]),
                   profile("txn-v4", with_ranges({APT: (0, 4), AOT: (0, 4),
                                                  ET: (0, 4), TOC: (0, 4)}),
                           ["transactional"]),
                   profile("malformed-metadata-v11", with_range(MD, 0, 11),
                           ["produce"], True),
                   profile("malformed-describeconfigs-v2",
                           with_range(DC, 0, 2), ["admin"], True)]),
    ]


# -- running ------------------------------------------------------------------
Frame = namedtuple("Frame", "client profile scenario captured")


def run_scenario(broker, sc, verbose):
    start = len(broker.frames)
    argv = [a.replace("{b}", "127.0.0.1:%d" % broker.port) for a in sc.argv]
    if verbose:
        print("    $ (cd %s && %s)" % (os.path.relpath(sc.cwd, REPO),
                                      " ".join(argv)), flush=True)
    proc = subprocess.Popen(argv, cwd=sc.cwd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    out_lines, err_chunks = [], []
    held = threading.Event()

    def read_out():
        for line in proc.stdout:
            out_lines.append(line.decode(errors="replace"))
            if line.strip() == b"HOLD":
                held.set()

    def read_err():
        err_chunks.append(proc.stderr.read())

    threads = [threading.Thread(target=read_out, daemon=True),
               threading.Thread(target=read_err, daemon=True)]
    for t in threads:
        t.start()
    if sc.stdin is not None:
        proc.stdin.write(sc.stdin)
        proc.stdin.close()
    deadline = time.monotonic() + SCENARIO_DEADLINE_S
    released = sc.release is None
    problem = None
    while proc.poll() is None:
        if time.monotonic() > deadline:
            problem = "no exit after %.0f s" % SCENARIO_DEADLINE_S
            os.killpg(proc.pid, signal.SIGKILL)
            break
        if not released:
            seen = {c.header.api_key for c in broker.frames[start:]
                    if c.header}
            ready = sc.wait_for <= seen and (sc.release != "stdin"
                                             or held.is_set())
            if ready:
                released = True
                if verbose:
                    print("    released (%s) after %.1f s" % (
                        sc.release, SCENARIO_DEADLINE_S - deadline
                        + time.monotonic()), flush=True)
                if sc.release == "stdin":
                    proc.stdin.write(b"\n")
                    proc.stdin.close()
                else:
                    proc.send_signal(signal.SIGINT)
        time.sleep(0.02)  # polling interval, not a wait for the client
    proc.wait()
    for t in threads:
        t.join(5)
    frames = broker.frames[start:]
    seen = {c.header.api_key for c in frames if c.header}
    if problem is None and proc.returncode != 0:
        problem = "exit status %d" % proc.returncode
    if problem is None and not released:
        problem = "never released (waited for %s)" % sorted(sc.wait_for)
    if problem is None and not sc.expect <= seen:
        problem = "missing requests: %s" % ", ".join(
            API_NAMES[k] for k in sorted(sc.expect - seen))
    if problem:
        problem = "%s\n--- stdout\n%s--- stderr\n%s" % (
            problem, "".join(out_lines)[-3000:],
            b"".join(err_chunks).decode(errors="replace")[-3000:])
    return frames, problem


def run_client(client, schemas, only_profiles, verbose, keep_going):
    frames, failures = [], []
    for pf in client.profiles:
        if only_profiles and pf.name not in only_profiles:
            continue
        broker = protocol_capture.CaptureBroker(
            schemas=schemas, advertised=pf.advertised,
            log=(lambda m: print("      broker: " + m)) if verbose > 1
            else None)
        broker.start()
        kept = []
        try:
            for sc in client.scenarios:
                if pf.only and sc.name not in pf.only:
                    continue
                t0 = time.monotonic()
                got, problem = run_scenario(broker, sc, verbose)
                kept += [Frame(client.name, pf.name, sc.name, c)
                         for c in got]
                status = "ok  " if not problem else (
                    "xfail" if pf.malformed else "FAIL")
                print("  %-5s %-8s %-14s %3d requests  %.1f s  %s" % (
                    status, pf.name, sc.name, len(got),
                    time.monotonic() - t0,
                    versions_seen(got) if not problem
                    else problem.splitlines()[0]), flush=True)
                if problem and not pf.malformed:
                    failures.append("%s/%s/%s: %s" % (
                        client.name, pf.name, sc.name, problem))
                    if not keep_going:
                        return frames + kept, failures
        finally:
            broker.stop()
        failures += ["%s/%s broker: %s" % (client.name, pf.name, e)
                     for e in broker.errors]
        if pf.malformed:
            bad = [f for f in kept if f.captured.error]
            if not bad:
                failures.append("%s/%s: no malformed request seen (fixed in "
                                "this client version?)" % (client.name,
                                                           pf.name))
            kept = bad
        frames += kept
    return frames, failures


def versions_seen(captured):
    by = OrderedDict()
    for c in captured:
        if c.header:
            by.setdefault(c.header.api_key, set()).add(c.header.api_version)
    return " ".join("%s%s" % (API_NAMES.get(k, k), "/".join(
        "v%d" % v for v in sorted(vs))) for k, vs in sorted(by.items()))


# -- describing -----------------------------------------------------------------
def _batch_info(records):
    """'2 records' style summary of a records field (v2 batches)."""
    if not records:
        return "no records"
    parts = []
    for start, end, magic, count in protocol_capture.split_batches(records):
        b = records[start:end]
        if magic != 2:
            parts.append("magic %d message" % magic)
            continue
        attrs = int.from_bytes(b[21:23], "big")
        pid = int.from_bytes(b[43:51], "big", signed=True)
        seq = int.from_bytes(b[53:57], "big", signed=True)
        n = int.from_bytes(b[57:61], "big")
        codec = ["none", "gzip", "snappy", "lz4", "zstd"][attrs & 7] \
            if attrs & 7 < 5 else "codec%d" % (attrs & 7)
        info = "batch of %d (%s" % (n, codec)
        if pid >= 0:
            info += ", pid %d seq %d" % (pid, seq)
        if attrs & 0x10:
            info += ", transactional"
        parts.append(info + ")")
    return ", ".join(parts) or "no records"


def _tps(topics, name_key, parts_key, fmt):
    out = []
    for t in topics or []:
        name = t.get(name_key)
        if isinstance(name, bytes):
            name = "id:" + name.hex()[:8]
        out.append("%s[%s]" % (name, ",".join(fmt(p) for p in t[parts_key])))
    return " ".join(out)


def summarize(key, v, b):
    if b is None:
        return "(not decoded)"
    if key == AV:
        if v >= 3:
            return "software %s %s" % (b["ClientSoftwareName"],
                                       b["ClientSoftwareVersion"])
        return "empty body"
    if key == MD:
        if b["Topics"] is None:
            t = "all topics"
        elif not b["Topics"]:
            t = "all topics (v0 empty list)" if v == 0 else "no topics"
        else:
            t = "topics " + ",".join(x.get("Name") or "id" for x in b["Topics"])
        if v >= 4:
            t += ", auto-create %s" % str(b["AllowAutoTopicCreation"]).lower()
        return t
    if key == P:
        s = "acks %d" % b["Acks"]
        if b.get("TransactionalId"):
            s += " txn %s" % b["TransactionalId"]
        return s + " " + " ".join(
            "%s[%s]" % (t["Name"], "; ".join(
                "%d: %s" % (p["Index"], _batch_info(p["Records"]))
                for p in t["PartitionData"])) for t in b["TopicData"])
    if key == F:
        s = "maxWait %d minBytes %d isolation %d" % (
            b["MaxWaitMs"], b["MinBytes"], b["IsolationLevel"])
        if v >= 7:
            s += " session %d/%d" % (b["SessionId"], b["SessionEpoch"])
        return s + " " + _tps(b["Topics"], "TopicId" if v >= 13 else "Topic",
                              "Partitions", lambda p: "%d@%d" % (
                                  p["Partition"], p["FetchOffset"]))
    if key == LO:
        return _tps(b["Topics"], "Name", "Partitions", lambda p: "%d:%s" % (
            p["PartitionIndex"], {-1: "latest", -2: "earliest"}.get(
                p["Timestamp"], p["Timestamp"])))
    if key == FC:
        keys = b["CoordinatorKeys"] if v >= 4 else [b["Key"]]
        return "%s %s" % ({0: "group", 1: "transaction"}.get(
            b.get("KeyType", 0), b.get("KeyType")), ",".join(keys))
    if key == JG:
        return "group %s member %s protocols %s" % (
            b["GroupId"], b["MemberId"] or "(empty)",
            ",".join(p["Name"] for p in b["Protocols"]))
    if key == SG:
        return "group %s gen %d member %s, %d assignments" % (
            b["GroupId"], b["GenerationId"], b["MemberId"],
            len(b["Assignments"]))
    if key == HB:
        return "group %s gen %d member %s" % (
            b["GroupId"], b["GenerationId"], b["MemberId"])
    if key == LG:
        members = [b["MemberId"]] if v < 3 else [
            m["MemberId"] for m in b["Members"]]
        return "group %s members %s" % (b["GroupId"], ",".join(members))
    if key in (OC, TOC):
        return "group %s %s" % (b["GroupId"], _tps(
            b["Topics"], "Name", "Partitions", lambda p: "%d=%d" % (
                p["PartitionIndex"], p["CommittedOffset"])))
    if key == OF:
        groups = b["Groups"] if v >= 8 else [
            {"GroupId": b["GroupId"], "Topics": b["Topics"]}]
        return "; ".join("group %s %s" % (g["GroupId"], "all partitions"
                                          if g["Topics"] is None else _tps(
                                              g["Topics"], "Name",
                                              "PartitionIndexes", str))
                         for g in groups)
    if key == CT:
        return "create " + ", ".join("%s (%d partitions, rf %d)" % (
            t["Name"], t["NumPartitions"], t["ReplicationFactor"])
            for t in b["Topics"])
    if key == DT:
        names = b["TopicNames"] if v < 6 else [
            t["Name"] or "id:" + t["TopicId"].hex()[:8] for t in b["Topics"]]
        return "delete " + ", ".join(names)
    if key == IP:
        return "transactional id %s, timeout %d" % (
            b["TransactionalId"], b["TransactionTimeoutMs"])
    if key == APT:
        if v >= 4:
            return "; ".join("txn %s%s %s" % (
                t["TransactionalId"], " verify-only" if t["VerifyOnly"]
                else "", _tps(t["Topics"], "Name", "Partitions", str))
                for t in b["Transactions"])
        return "txn %s %s" % (b["V3AndBelowTransactionalId"], _tps(
            b["V3AndBelowTopics"], "Name", "Partitions", str))
    if key == AOT:
        return "txn %s group %s" % (b["TransactionalId"], b["GroupId"])
    if key == ET:
        return "txn %s %s" % (b["TransactionalId"],
                              "commit" if b["Committed"] else "abort")
    if key == DC:
        return "resources " + ",".join("%d:%s" % (
            r["ResourceType"], r["ResourceName"]) for r in b["Resources"])
    return ", ".join(k for k in b if not k.startswith("_"))


# -- writing ----------------------------------------------------------------------
Golden = namedtuple("Golden", "path client profile scenario header size "
                              "description frame malformed")

# Why a client's request does not decode (see the malformed-* profiles).
MALFORMED_NOTES = {
    ("platformatic", MD, 11):
        "writes IncludeClusterAuthorizedOperations, a v8-v10 field, into v11: "
        "one byte too many, so the tagged-field count is read from the "
        "IncludeTopicAuthorizedOperations byte and the frame ends inside a "
        "tagged field; Kafka cannot parse it",
    ("platformatic", DC, 2):
        "appends IncludeDocumentation, a v3+ field, to v2: one byte left over "
        "after the last field (the capture broker answers it anyway, assuming "
        "Kafka's generated readers ignore leftover bytes; not checked against "
        "a real broker)",
}


def select_goldens(frames, schemas, malformed_profiles=()):
    """Round-trips every frame, drops duplicates; returns (goldens, errors).

    Frames from a profile in `malformed_profiles` ((client, profile) pairs)
    are kept only if they do NOT round-trip, as malformed goldens."""
    goldens, errors = [], []
    seen = set()
    counters = {}
    for fr in frames:
        c = fr.captured
        bad_ok = (fr.client, fr.profile) in malformed_profiles
        if c.header is None:
            errors.append("%s/%s: undecodable header" % (fr.client,
                                                         fr.scenario))
            continue
        key, v = c.header.api_key, c.header.api_version
        name = API_NAMES.get(key, "Api%d" % key)
        problem = None
        body = None
        header = c.header
        try:
            header, body, again = kafka_schema.roundtrip_request(c.frame,
                                                                 schemas)
            if again != c.frame:
                problem = "re-encoding differs"
        except (ValueError, KeyError) as e:
            problem = "does not decode: %s" % e
        if problem and not bad_ok:
            errors.append("%s/%s/%s %s v%d: %s" % (
                fr.client, fr.profile, fr.scenario, name, v, problem))
            continue
        if bad_ok and not problem:
            continue
        # Identical bytes, or identical but for the correlation id: one file.
        dedup = (fr.client, c.frame[:4] + c.frame[8:])
        if dedup in seen:
            continue
        seen.add(dedup)
        sub = "malformed/" if problem else ""
        ck = (fr.client, sub, key, v)
        n = counters[ck] = counters.get(ck, 0) + 1
        where = (fr.scenario if fr.profile == "default"
                 else "%s (%s)" % (fr.scenario, fr.profile))
        if problem:
            desc = "%s: %s. %s" % (where, MALFORMED_NOTES.get(
                (fr.client, key, v), "not explained"), problem)
        else:
            desc = "%s: %s" % (where, summarize(key, v, body))
            if header.tagged:
                desc += "; header tags %s" % [t for t, _ in header.tagged]
            if body.get("_unknown_tagged"):
                desc += "; unknown tags %s" % [
                    t for t, _ in body["_unknown_tagged"]]
        goldens.append(Golden("%s/%s%s_v%d_%d.bin" % (fr.client, sub, name, v,
                                                      n),
                              fr.client, fr.profile, fr.scenario, header,
                              len(c.frame), desc, c.frame, bool(problem)))
    return goldens, errors


def _vers(vs):
    return ",".join("v%d" % v for v in sorted(set(vs)))


def manifest(goldens, client_list):
    labels = {c.name: c.label for c in client_list}
    lines = [
        "# Golden Kafka request frames from real clients",
        "",
        "Generated by `/usr/bin/python3 tools/capture/capture_requests.py` "
        "(see tools/capture/README.md); do not edit by hand. "
        "`capture_requests.py --check` re-verifies files against this list.",
        "",
        "Each `.bin` file is one request frame exactly as a client sent it: "
        "the request header (v1, or v2 for flexible versions) followed by the "
        "body, without the 4-byte size prefix. Every file outside "
        "`malformed/` decodes and re-encodes byte-identically with "
        "tools/capture/kafka_schema.py (a codec driven by Kafka's message "
        "JSONs), so a correct codec must reproduce each file exactly from its "
        "decoded form. Frames that differ only in the correlation id are "
        "kept once. Files under `<client>/malformed/` are requests the "
        "client encodes wrongly (each row says how): a strict decoder must "
        "reject them, or at least not re-encode them to the same bytes.",
        "",
        "The recording broker (tools/capture/protocol_capture.py) advertised "
        "the CLIENTS.md ranges (profile `default`). Profiles `capN` lowered "
        "each API's advertised maximum to the client's own maximum minus N "
        "(stepping over versions the client encodes wrongly), so that "
        "clients which pick the highest common version also sent their older "
        "ones. `apiversions-max2` advertised ApiVersions 0-2 only: the "
        "client's ApiVersions v3 gets error 35 with a v0 body (KIP-511) and "
        "it retries. `malformed-*` profiles advertised exactly the broken "
        "version.",
        "",
        "## Versions per client",
        "",
    ]
    by_client = OrderedDict()
    for g in goldens:
        by_client.setdefault(g.client, []).append(g)
    keys = sorted({g.header.api_key for g in goldens if not g.malformed})
    lines.append("| API (key) | " + " | ".join(by_client) + " |")
    lines.append("|---" * (len(by_client) + 1) + "|")
    for k in keys:
        lines.append("| %s (%d) | %s |" % (API_NAMES.get(k, k), k, " | ".join(
            _vers(g.header.api_version for g in gs
                  if g.header.api_key == k and not g.malformed) or "-"
            for gs in by_client.values())))
    lines.append("")
    for client, gs in by_client.items():
        lines += ["## %s (`%s/`)" % (labels.get(client, client), client), "",
                  "| file | API (key) | version | header | corr | size "
                  "| description |", "|---|---|---|---|---|---|---|"]
        for g in sorted(gs, key=lambda g: (g.malformed,
                                           API_NAMES.get(g.header.api_key, ""),
                                           g.header.api_version,
                                           _file_n(g.path))):
            h = g.header
            lines.append("| %s | %s (%d) | %d | %d | %d | %d | %s |" % (
                g.path.split("/", 1)[1], API_NAMES.get(h.api_key, "?"),
                h.api_key, h.api_version, h.header_version, h.correlation_id,
                g.size, g.description.replace("|", "\\|")))
        lines.append("")
    return "\n".join(lines)


def _file_n(path):
    return int(path.rsplit("_", 1)[1].split(".")[0])


def write(goldens, out, text):
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):  # stale files of an earlier capture
        p = os.path.join(out, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
    for g in goldens:
        p = os.path.join(out, g.path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(g.frame)
    with open(os.path.join(out, "MANIFEST.md"), "w") as f:
        f.write(text)


def check(out, schemas):
    """Re-decodes every file in OUT and compares it with MANIFEST.md."""
    problems = []
    rows = {}
    try:
        with open(os.path.join(out, "MANIFEST.md")) as f:
            client = None
            for line in f:
                if line.startswith("## ") and "`" in line:
                    client = line.split("`")[1].rstrip("/")
                elif client and line.startswith("| ") and line.split(
                        "|")[1].strip().endswith(".bin"):
                    cells = [c.strip() for c in line.split("|")[1:-1]]
                    rows["%s/%s" % (client, cells[0])] = cells
    except OSError as e:
        return ["MANIFEST.md: %s" % e]
    files = sorted(os.path.relpath(os.path.join(dp, fn), out)
                   for dp, _, fns in os.walk(out) for fn in fns
                   if fn.endswith(".bin"))
    for rel in files:
        with open(os.path.join(out, rel), "rb") as f:
            frame = f.read()
        malformed = "/malformed/" in rel
        try:
            h, _ = kafka_schema.decode_request_header(frame, schemas)
        except ValueError as e:
            problems.append("%s: header does not decode: %s" % (rel, e))
            continue
        try:
            _, _, again = kafka_schema.roundtrip_request(frame, schemas)
            ok = again == frame
        except (ValueError, KeyError) as e:
            ok = False
            if not malformed:
                problems.append("%s: does not decode: %s" % (rel, e))
                continue
        if ok == malformed:
            problems.append("%s: %s" % (rel, "round-trips, yet is in "
                                        "malformed/" if ok
                                        else "re-encoding differs"))
        name = API_NAMES.get(h.api_key, "Api%d" % h.api_key)
        if not os.path.basename(rel).startswith("%s_v%d_" % (name,
                                                             h.api_version)):
            problems.append("%s: holds %s v%d" % (rel, name, h.api_version))
        row = rows.pop(rel, None)
        if row is None:
            problems.append("%s: not in MANIFEST.md" % rel)
        elif row[2:6] != [str(h.api_version), str(h.header_version),
                          str(h.correlation_id), str(len(frame))]:
            problems.append("%s: MANIFEST.md row %s disagrees" % (rel, row))
    problems += ["%s: in MANIFEST.md, no such file" % r for r in rows]
    print("checked %d files in %s" % (len(files), out))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--clients", help="comma-separated subset to run")
    ap.add_argument("--profiles", help="comma-separated profiles to run")
    ap.add_argument("--no-sweeps", action="store_true",
                    help="only the default (CLIENTS.md) ranges")
    ap.add_argument("--check", action="store_true",
                    help="verify the files in --out; run no client")
    ap.add_argument("--keep-going", action="store_true")
    ap.add_argument("--dry-run", action="store_true", help="write nothing")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    args = ap.parse_args()

    schemas = kafka_schema.Schemas.load()
    if args.check:
        problems = check(args.out, schemas)
        for p in problems:
            print("FAIL " + p)
        sys.exit(1 if problems else 0)

    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
        # kafkajs and @platformatic/kafka, pinned by package-lock.json; only this tool needs them.
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NODE_DIR, check=True)
    client_list = clients(not args.no_sweeps)
    if args.clients:
        wanted = args.clients.split(",")
        unknown = set(wanted) - {c.name for c in client_list}
        if unknown:
            sys.exit("unknown clients: %s" % ", ".join(sorted(unknown)))
        client_list = [c for c in client_list if c.name in wanted]
    profiles = set(args.profiles.split(",")) if args.profiles else None
    frames, failures = [], []
    for c in client_list:
        print("%s (%s)" % (c.name, c.label), flush=True)
        got, failed = run_client(c, schemas, profiles, args.verbose,
                                 args.keep_going)
        frames += got
        failures += failed
        if failed and not args.keep_going:
            break
    goldens, errors = select_goldens(frames, schemas, {
        (c.name, p.name) for c in client_list for p in c.profiles
        if p.malformed})
    failures += errors
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    if failures:
        print("%d problems: nothing written" % len(failures), file=sys.stderr)
        sys.exit(1)
    same = 0
    for g in goldens:
        try:
            with open(os.path.join(args.out, g.path), "rb") as f:
                same += f.read() == g.frame
        except OSError:
            pass
    print("%d frames captured, %d kept after deduplication, %d of them "
          "identical to the files in %s" % (len(frames), len(goldens), same,
                                            os.path.relpath(args.out, REPO)))
    if args.dry_run or args.clients or args.profiles or args.no_sweeps:
        print("dry or partial run: nothing written")
        return
    write(goldens, args.out, manifest(goldens, client_list))
    print("wrote %d files and MANIFEST.md" % len(goldens))


if __name__ == "__main__":
    main()
