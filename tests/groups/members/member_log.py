"""The event log every group member of mixed_group.py writes (the JS member writes the same).

One JSON object a line, appended to the member's own file:
  {"member": NAME, "kind": KIND, "event": EVENT, "t": wall-clock ms, ...}
EVENT and its fields:
  started                                      the process is up
  assigned   partitions [p...], generation      now owns these partitions (in addition)
  revoked    partitions [p...], generation      no longer owns these partitions
  processed  partition, offset, value           handled one record (logged before its commit)
  committed  partition, offset, sent, generation  a synchronous commit of `offset`, sent at
                                               wall-clock ms `sent`, succeeded
  commit_failed  error                         a commit failed (expected during a rebalance)
  closed                                       a clean close (LeaveGroup) finished
"generation" is the one JoinGroup gave (confluent-kafka: from consumer_group_metadata();
kafkajs: from its Broker.joinGroup), null where the client does not tell it. A member stops processing before
it logs "revoked", and logs "processed" lines (flushed) before committing them, so a record
is committed only if its processing is in the log.
"""
import json
import time


class MemberLog:
    def __init__(self, path, member, kind):
        self.file = open(path, "a")
        self.member, self.kind = member, kind

    def event(self, event, flush=True, **fields):
        fields.update(member=self.member, kind=self.kind, event=event,
                      t=int(time.time() * 1000))
        self.file.write(json.dumps(fields) + "\n")
        if flush:
            self.file.flush()

    def flush(self):
        self.file.flush()
