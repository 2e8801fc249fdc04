"""Shared by the Python scenario scripts: the hold handshake with the driver.

A scenario started with --hold prints HOLD once its work is done, then keeps
its client alive (calling `tick`, e.g. a consumer's poll) until the driver
(capture_requests.py) writes a line or closes stdin, or `limit_s` passes. The
driver releases it as soon as the requests it waits for (a Heartbeat, say)
have been captured, so no scenario sleeps for a fixed time.
"""

import select
import sys
import time


def hold(tick=None, limit_s=20.0):
    print("HOLD", flush=True)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sys.stdin], [], [], 0.05)
        if ready:
            sys.stdin.readline()
            return True
        if tick:
            tick()
    return False


def fail(msg):
    print("FAIL: %s" % msg, file=sys.stderr, flush=True)
    sys.exit(1)
