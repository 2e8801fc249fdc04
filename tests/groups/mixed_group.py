#!/usr/bin/python3
"""One consumer group of mixed clients through joins, clean leaves and kill -9 (issue #9).

Creates TOPIC (PARTITIONS partitions, replication factor 3), then, while a confluent-kafka
producer writes keyed records with unique values at acks=all, runs members of every kind
given by --member (one group, "roundrobin", manual commits; members/*) through this
schedule, each step waiting (with a deadline) for the group to make progress again:

  1. one member of each kind joins        every member is assigned and processes records
  2. a second member of the first kind    it is assigned and processes records
  3. the second kind's member closes      (SIGTERM: LeaveGroup) every partition progresses
  4. the third kind's member is killed -9 every partition progresses (after its session)
  5. new members of kinds 2 and 3 join    both are assigned and process records
 (5b. with --fault-file F: creates F.ready and waits for F.done, meanwhile the caller kills
      the group's coordinator; then every partition progresses)
  6. the first member is killed -9        every partition progresses
  7. the producer stops; the committed offsets reach the end of every partition; the
     remaining members close.

Meanwhile a monitor samples the group's committed offsets (OffsetFetch, through a librdkafka
consumer that never joins). Then it checks, from the members' event logs (member_log.py):
  - every acknowledged record was processed at least once (same partition, offset, value);
  - no partition was owned by two members at the same time (assigned..revoked; a member
    killed -9 owns nothing after its death) in one generation: overlaps between generations
    (an evicted member that has not noticed yet) are listed as zombies, and an overlap where
    a member's generation is unknown counts (a member that tells none gets that of the other
    members' assignments logged within 300 ms; the karst client tells its own through
    Consumer::GetGroupMetadata); nor did one generation's
    assignments give a partition to two members;
  - members processed only partitions they owned at the time;
  - no committed offset moved backwards: the monitor's samples never decrease, no commit
    acknowledged before another was sent has a higher offset, and after every member left
    the committed offsets are still the ends of the partitions;
  - every kind processed and committed records; closed members exited 0.
Exits 0 if all hold, 1 listing what failed, 2 on a usage or setup error.

Usage: /usr/bin/python3 mixed_group.py --bootstrap B --out DIR
           --member KIND=COMMAND [--member KIND=COMMAND ...] [--topic T] [--group G]
           [--partitions 6] [--rate 200] [--max-records 9000] [--deadline 150]
           [--fault-file F]
COMMAND is run as COMMAND BOOTSTRAP TOPIC GROUP NAME LOG_FILE (split on spaces).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import group_tool  # noqa: E402 (beside this file)

MAX_REPORTED = 20


def now_ms():
    return int(time.time() * 1000)


class Failure(Exception):
    pass


def log(msg):
    print("[%.1f] %s" % (time.monotonic() - START, msg), flush=True)


START = time.monotonic()


def create_topic(bootstrap, topic, partitions, deadline):
    try:
        group_tool.create_topic(bootstrap, topic, partitions, deadline)
    except RuntimeError as e:
        raise Failure(str(e))


class ProducerThread(threading.Thread):
    """Produces keyed records with unique values ("r000042") at `rate` a second until stopped
    or `max_records` are sent; keeps (partition, offset, value) of every acknowledged one."""

    def __init__(self, bootstrap, topic, rate, max_records):
        super().__init__(daemon=True)
        self.topic, self.rate, self.max_records = topic, rate, max_records
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                                  "linger.ms": 5, "message.timeout.ms": 60000})
        self.stop = threading.Event()
        self.acked, self.errors, self.sent = [], [], 0

    def on_delivery(self, err, msg):
        if err is not None:
            self.errors.append("%s: %s" % (msg.value(), err))
        else:
            self.acked.append((msg.partition(), msg.offset(), msg.value().decode()))

    def run(self):
        start = time.monotonic()
        while not self.stop.is_set() and self.sent < self.max_records:
            wait = start + self.sent / self.rate - time.monotonic()
            if wait > 0:
                self.producer.poll(min(wait, 0.05))
                continue
            i = self.sent
            self.producer.produce(self.topic, key="k%03d" % (i % 200), value="r%06d" % i,
                                  on_delivery=self.on_delivery)
            self.sent += 1
            self.producer.poll(0)
        self.producer.flush(90)


class Monitor(threading.Thread):
    """Samples the group's committed offsets with OffsetFetch every 0.3 s."""

    def __init__(self, bootstrap, topic, group, partitions):
        super().__init__(daemon=True)
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                  "enable.auto.commit": False})
        self.tps = [TopicPartition(topic, p) for p in range(partitions)]
        self.samples = []  # (t, {partition: committed offset})
        self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def latest(self):
        with self.lock:
            return self.samples[-1][1] if self.samples else {}

    def sample(self):
        """Takes one sample now; {} if OffsetFetch failed."""
        try:
            got = self.consumer.committed(self.tps, timeout=5)
        except KafkaException:
            self.errors += 1
            return {}
        sample = {tp.partition: tp.offset for tp in got if tp.offset >= 0 and tp.error is None}
        with self.lock:
            self.samples.append((now_ms(), sample))
        return sample

    def run(self):
        while not self.stop.wait(0.3):
            self.sample()

    def end_offsets(self):
        return {tp.partition: self.consumer.get_watermark_offsets(tp, timeout=10)[1]
                for tp in self.tps}


class Member:
    def __init__(self, kind, command, name, out_dir, args):
        self.kind, self.name = kind, name
        self.log_path = os.path.join(out_dir, name + ".events")
        self.out = open(os.path.join(out_dir, name + ".out"), "w")
        self.proc = subprocess.Popen(command.split() + [args.bootstrap, args.topic, args.group,
                                                        name, self.log_path],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        self.killed_at = None  # wall-clock ms of kill -9
        self.exited_at = None
        self.expect = 0  # exit code expected, or -9
        self.events, self.offset = [], 0
        log("started %s (pid %d)" % (name, self.proc.pid))

    def read(self):
        if not os.path.exists(self.log_path):
            return
        with open(self.log_path) as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind("\n") + 1
        self.offset += len(data[:end].encode())
        for line in data[:end].splitlines():
            self.events.append(json.loads(line))

    def running(self):
        return self.proc.poll() is None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.killed_at = now_ms()
        self.exited_at = self.killed_at
        self.expect = -9
        log("killed %s with -9" % self.name)

    def terminate(self, deadline):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("%s did not close within the deadline after SIGTERM" % self.name)
        self.exited_at = now_ms()
        log("%s closed: exit %d" % (self.name, self.proc.returncode))


class Run:
    def __init__(self, args):
        self.args = args
        self.members = []
        self.deadline = time.monotonic() + args.deadline

    def start(self, kind):
        n = 1 + sum(1 for m in self.members if m.kind == kind)
        m = Member(kind, self.args.commands[kind], "%s-%d" % (kind, n), self.args.out, self.args)
        self.members.append(m)
        return m

    def wait(self, what, condition, timeout=60):
        until = min(self.deadline, time.monotonic() + timeout)
        while True:
            for m in self.members:
                m.read()
            for m in self.members:
                if m.expect == 0 and m.exited_at is None and not m.running():
                    raise Failure("%s exited by itself (%s) while waiting for %s" % (
                        m.name, m.proc.returncode, what))
            if condition():
                log("ok: " + what)
                return
            if time.monotonic() > until:
                raise Failure("timed out waiting for " + what)
            time.sleep(0.1)

    def processing(self, member, since=0):
        """Owns something now and processed a record after `since`."""
        owned = set()
        processed = False
        for e in member.events:
            if e["event"] == "assigned":
                owned.update(e["partitions"])
            elif e["event"] == "revoked":
                owned.difference_update(e["partitions"])
            elif e["event"] == "processed" and e["t"] > since:
                processed = True
        return bool(owned) and processed

    def all_partitions_progress(self, since):
        seen = set()
        for m in self.members:
            if m.running():
                seen.update(e["partition"] for e in m.events
                            if e["event"] == "processed" and e["t"] > since)
        return len(seen) == self.args.partitions


def schedule(run, producer, monitor):
    kinds = run.args.kinds
    k = lambda i: kinds[i % len(kinds)]  # noqa: E731
    first = [run.start(kind) for kind in kinds]
    run.wait("every first member processing", lambda: all(run.processing(m) for m in first))
    joined = run.start(k(0))
    run.wait("%s processing" % joined.name, lambda: run.processing(joined))
    leaving = first[1 % len(first)]
    t = now_ms()
    leaving.terminate(run.deadline)
    if leaving.proc.returncode != 0:
        raise Failure("%s exited %d after SIGTERM" % (leaving.name, leaving.proc.returncode))
    run.wait("every partition progressing after %s left" % leaving.name,
             lambda: run.all_partitions_progress(t))
    victim = first[2 % len(first)] if len(first) > 2 else joined
    victim.kill9()
    run.wait("every partition progressing after %s died" % victim.name,
             lambda: run.all_partitions_progress(victim.killed_at))
    rejoined = [run.start(k(1)), run.start(k(2))]
    run.wait("%s processing" % " and ".join(m.name for m in rejoined),
             lambda: all(run.processing(m) for m in rejoined))
    if run.args.fault_file:
        open(run.args.fault_file + ".ready", "w").close()
        run.wait("the fault (%s.done)" % run.args.fault_file,
                 lambda: os.path.exists(run.args.fault_file + ".done"))
        t = now_ms()
        run.wait("every partition progressing after the fault",
                 lambda: run.all_partitions_progress(t))
    first[0].kill9()
    run.wait("every partition progressing after %s died" % first[0].name,
             lambda: run.all_partitions_progress(first[0].killed_at))
    producer.stop.set()
    producer.join(max(1, run.deadline - time.monotonic()))
    if producer.is_alive():
        raise Failure("the producer did not finish")
    log("producer: sent %d, acknowledged %d, failed %d" % (
        producer.sent, len(producer.acked), len(producer.errors)))
    if producer.errors:
        raise Failure("produce errors: %s" % producer.errors[:MAX_REPORTED])
    ends = {}
    for p, o, _ in producer.acked:
        ends[p] = max(ends.get(p, 0), o + 1)
    run.wait("committed offsets at the end of every partition %s" % sorted(ends.items()),
             lambda: all(monitor.latest().get(p, -1) >= e for p, e in ends.items()), timeout=90)
    monitor.stop.set()
    monitor.join()
    for m in run.members:
        if m.running():
            m.terminate(run.deadline)
    for m in run.members:
        m.read()
    # Every member is gone: a commit that landed late (a fenced member's) would show here.
    final = monitor.sample()
    log("committed offsets after every member left: %s" % sorted(final.items()))
    return ends, final


def infer_generations(members):
    """Gives an assignment of a member that tells no generation the
    generation of the nearest assignment another member logged within 300 ms: the members of
    one generation get their assignments from the same SyncGroup round."""
    known = sorted((e["t"], e["generation"], m.name) for m in members for e in m.events
                   if e["event"] == "assigned" and e.get("generation") is not None)
    for m in members:
        for e in m.events:
            if e["event"] != "assigned" or e.get("generation") is not None:
                continue
            near = [(abs(t - e["t"]), g) for t, g, name in known
                    if name != m.name and abs(t - e["t"]) <= 300]
            if near:
                e["generation"] = min(near)[1]
                e["inferred"] = True


def intervals(member):
    """[(partition, start, end, generation)] the member owned; end None if never revoked."""
    open_, out = {}, []
    for e in member.events:
        if e["event"] == "assigned":
            for p in e["partitions"]:
                open_.setdefault(p, (e["t"], e.get("generation")))
        elif e["event"] == "revoked":
            for p in e["partitions"]:
                if p in open_:
                    start, gen = open_.pop(p)
                    out.append((p, start, e["t"], gen))
    for p, (start, gen) in open_.items():
        out.append((p, start, member.exited_at, gen))
    return out


def check(run, producer, monitor, ends, final):
    problems = []

    def problem(kind, msg):
        problems.append((kind, msg))

    if any(final.get(p, -1) != e for p, e in ends.items()):
        problem("backwards", "after every member left, committed offsets %s, want the ends %s" % (
            sorted(final.items()), sorted(ends.items())))

    infer_generations(run.members)
    processed = {}  # (partition, offset) -> value
    by_kind = {kind: [0, 0] for kind in run.args.kinds}
    owned = []  # (partition, start, end, generation, member)
    for m in run.members:
        ivs = intervals(m)
        owned += [(p, s, e, g, m.name) for p, s, e, g in ivs]
        for e in m.events:
            if e["event"] == "processed":
                by_kind[m.kind][0] += 1
                where = (e["partition"], e["offset"])
                if processed.setdefault(where, e["value"]) != e["value"]:
                    problem("value", "%s: partition %d offset %d has value %s and %s" % (
                        m.name, *where, e["value"], processed[where]))
                if not any(p == e["partition"] and s <= e["t"] and (end is None or e["t"] <= end)
                           for p, s, end, _ in ivs):
                    problem("unowned", "%s processed partition %d offset %d at %d, not owning it"
                            % (m.name, e["partition"], e["offset"], e["t"]))
            elif e["event"] == "committed":
                by_kind[m.kind][1] += 1
        if m.expect == 0 and m.proc.returncode != 0:
            problem("exit", "%s exited %s, want 0" % (m.name, m.proc.returncode))
        if m.expect == 0 and not any(e["event"] == "closed" for e in m.events):
            problem("exit", "%s never logged its clean close" % m.name)
    for p, o, v in producer.acked:
        if (p, o) not in processed:
            problem("missing", "record %s (partition %d offset %d) never processed" % (v, p, o))
        elif processed[(p, o)] != v:
            problem("value", "partition %d offset %d: produced %s, processed %s" % (
                p, o, v, processed[(p, o)]))
    for i, a in enumerate(owned):
        for b in owned[i + 1:]:
            if a[0] != b[0] or a[4] == b[4]:
                continue
            if a[1] < (b[2] or 1 << 62) and b[1] < (a[2] or 1 << 62):
                if a[3] is not None and b[3] is not None and a[3] != b[3]:
                    # A member evicted (session timeout) before it noticed: a zombie of an older
                    # generation, whose commits the coordinator must refuse.
                    log("  zombie: partition %d owned by %s [%s, %s) in generation %d and %s "
                        "[%s, %s) in generation %d" % (a[0], a[4], a[1], a[2], a[3], b[4], b[1],
                                                        b[2], b[3]))
                    continue
                problem("overlap", "partition %d owned by %s [%s, %s) and %s [%s, %s)" % (
                    a[0], a[4], a[1], a[2], b[4], b[1], b[2]))
    # Timing aside: within one generation the coordinator hands each partition to one member.
    given = {}  # (generation, partition) -> member
    for m in run.members:
        for e in m.events:
            if e["event"] == "assigned" and e.get("generation") is not None and not e.get(
                    "inferred"):
                for p in e["partitions"]:
                    other = given.setdefault((e["generation"], p), m.name)
                    if other != m.name:
                        problem("overlap", "generation %d assigned partition %d to %s and %s" % (
                            e["generation"], p, other, m.name))
    last = {}
    for t, sample in monitor.samples:
        for p, o in sample.items():
            if o < last.get(p, (-1, 0))[0]:
                problem("backwards", "OffsetFetch at %d: partition %d committed %d, was %d at %d"
                        % (t, p, o, *last[p]))
            last[p] = (o, t)
    commits = {}
    for m in run.members:
        for e in m.events:
            if e["event"] == "committed":
                commits.setdefault(e["partition"], []).append((e["sent"], e["t"], e["offset"],
                                                               m.name))
    for p, cs in commits.items():
        # A commit sent after another was acknowledged reaches the broker after it.
        done = sorted(cs, key=lambda c: c[1])
        best, j = None, 0  # the highest offset among commits acknowledged before c was sent
        for c in sorted(cs, key=lambda c: c[0]):
            while j < len(done) and done[j][1] < c[0]:
                if best is None or done[j][2] > best[2]:
                    best = done[j]
                j += 1
            if best is not None and c[2] < best[2]:
                problem("backwards", "partition %d: %s committed %d (sent %d) after %s's commit "
                        "of %d was acknowledged at %d" % (p, c[3], c[2], c[0], best[3], best[2],
                                                          best[1]))
    for kind, (n_processed, n_committed) in by_kind.items():
        if n_processed == 0 or n_committed == 0:
            problem("kind", "%s members processed %d records and committed %d times" % (
                kind, n_processed, n_committed))
    log("produced %d records to %d partitions (ends %s); %d distinct records processed; "
        "%d ownership intervals; %d offset samples (%d failed)" % (
            len(producer.acked), len(ends), sorted(ends.items()), len(processed), len(owned),
            len(monitor.samples), monitor.errors))
    for kind, (n_processed, n_committed) in by_kind.items():
        log("  %s: %d records processed, %d partition commits" % (kind, n_processed, n_committed))
    for m in run.members:
        counts = {}
        for e in m.events:
            counts[e["event"]] = counts.get(e["event"], 0) + 1
        log("  %s: exit %s; %s" % (m.name, m.proc.returncode, counts))
        for e in [e for e in m.events if e["event"] == "error"][:5]:
            log("    error event: %s" % e.get("error"))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--member", action="append", required=True)
    parser.add_argument("--topic", default="mixed-group")
    parser.add_argument("--group", default="mixed-group")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--max-records", type=int, default=9000)
    parser.add_argument("--deadline", type=float, default=150)
    parser.add_argument("--fault-file")
    args = parser.parse_args()
    args.commands = dict(m.split("=", 1) for m in args.member)
    args.kinds = [m.split("=", 1)[0] for m in args.member]
    if len(args.kinds) < 3:
        parser.error("the schedule needs at least three --member kinds")
    os.makedirs(args.out, exist_ok=True)
    run = Run(args)
    try:
        create_topic(args.bootstrap, args.topic, args.partitions, run.deadline)
        monitor = Monitor(args.bootstrap, args.topic, args.group, args.partitions)
        monitor.start()
        producer = ProducerThread(args.bootstrap, args.topic, args.rate, args.max_records)
        producer.start()
        ends, final = schedule(run, producer, monitor)
    except (Failure, KafkaException) as e:
        log("FAILED: %s" % e)
        for m in run.members:
            if m.running():
                m.proc.kill()
        return 1
    problems = check(run, producer, monitor, ends, final)
    if problems:
        log("FAILED: %d problems" % len(problems))
        for kind in sorted(set(k for k, _ in problems)):
            of_kind = [msg for k, msg in problems if k == kind]
            log("  %s (%d):" % (kind, len(of_kind)))
            for msg in of_kind[:MAX_REPORTED]:
                log("    " + msg)
        return 1
    log("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
