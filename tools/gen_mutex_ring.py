#!/usr/bin/env python3
"""Writes Scenarios/bench/mutex_ring_<N>_{buggy,fixed}.ksim for N = 2..5: the sleeping-lock family.

N tasks share 2 CPUs (task i on cpu i % 2); task i takes mutex i, then mutex i+1, with nothing
else between. A task that finds its second mutex held sleeps on it and hands its CPU to the next
task, so all N can end up each holding one mutex. In the buggy variant the last task takes mutex
N-1 then mutex 0, closing the cycle task0 -> task1 -> ... -> taskN-1 -> task0; in the fixed one
it takes mutex 0 first (one global order: no cycle).
"""
import os

here = os.path.join(os.path.dirname(__file__), "..", "Scenarios", "bench")
for n in range(2, 6):
    for variant in ("buggy", "fixed"):
        lines = [
            f"// Benchmark family (tools/gen_mutex_ring.py): {n} tasks on 2 CPUs, a ring of mutexes",
            f"// ({variant}).",
            f'scenario "mutex ring, {n} tasks, {variant}";',
            "cpus 2;",
            f"struct mutex m[{n}];",
        ]
        for i in range(n - 1):
            lines.append(f"task t{i} on cpu{i % 2} {{ mutex_lock(&m[{i}]); mutex_lock(&m[{i+1}]); "
                         f"mutex_unlock(&m[{i+1}]); mutex_unlock(&m[{i}]); }}")
        first, second = (n - 1, 0) if variant == "buggy" else (0, n - 1)
        lines.append(f"task t{n-1} on cpu{(n-1) % 2} {{ mutex_lock(&m[{first}]); mutex_lock(&m[{second}]); "
                     f"mutex_unlock(&m[{second}]); mutex_unlock(&m[{first}]); }}")
        lines.append("expect deadlock;" if variant == "buggy" else "expect no deadlock;")
        with open(os.path.join(here, f"mutex_ring_{n}_{variant}.ksim"), "w") as f:
            f.write("\n".join(lines) + "\n")
