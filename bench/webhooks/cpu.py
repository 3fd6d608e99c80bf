#!/usr/bin/env python3
"""CPU seconds so far (user + system) of: the node (pid argv[1]), the receiver (argv[2]), wrk
(argv[3], 0 if none), Postgres (every live `postgres` process plus what the postmaster's exited
children used), the whole machine (busy time of /proc/stat), the node's JIT compiler threads (C1, C2),
and each further argument's processes
together (comma-separated pids, "-" for none: the webhook ledger's backends, the database's backends).
One line of numbers."""
import os
import sys

tick = os.sysconf("SC_CLK_TCK")


def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields  # fields[0] is the state (field 3 of the man page)
    except (OSError, IndexError):
        return None


def own(pid):
    s = stat(pid)
    return (int(s[11]) + int(s[12])) / tick if s else 0.0


def jit(pid):
    total = 0.0
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(("C1 CompilerThre", "C2 CompilerThre")):
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            continue
    return total


def postgres():
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        s = stat(pid)
        if s is None:
            continue
        total += (int(s[11]) + int(s[12])) / tick
        if int(s[1]) == 1 or open(f"/proc/{s[1]}/comm").read().strip() != "postgres":  # the postmaster
            total += (int(s[13]) + int(s[14])) / tick
    return total


def machine():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / tick  # all but idle and iowait


fixed = [own(sys.argv[1]), own(sys.argv[2]), own(sys.argv[3]) if sys.argv[3] != "0" else 0.0, postgres(), machine(),
         jit(sys.argv[1])]
groups = [sum(own(p) for p in group.split(",") if p.isdigit()) for group in sys.argv[4:]]
print(" ".join("%.2f" % x for x in fixed + groups))
