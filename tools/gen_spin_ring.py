#!/usr/bin/env python3
"""Writes Scenarios/bench/spin_ring_<N>_{buggy,fixed}.ksim for N = 2..6.

N CPUs; task i takes lock i then lock i+1 (a consistent order: no cycle among the tasks); the
last task takes lock N-1 alone. An interrupt on the last CPU takes lock 0. In the buggy
variant the last task holds its lock with irqs on, so the handler can land on it and close the
cycle task0 -> task1 -> ... -> taskN-1 -> handler -> task0. In the fixed one it uses irqsave.
"""
import os

here = os.path.join(os.path.dirname(__file__), "..", "Scenarios", "bench")
for n in range(2, 7):
    for variant in ("buggy", "fixed"):
        lines = [
            f"// Benchmark family (tools/gen_spin_ring.py): {n} CPUs, a lock chain closed only by an",
            f"// interrupt handler on cpu{n-1} ({variant}).",
            f'scenario "spin ring, {n} CPUs, {variant}";',
            f"cpus {n};",
            f"spinlock_t ring[{n}];",
            "void handler(void) { spin_lock(&ring[0]); spin_unlock(&ring[0]); }",
        ]
        for i in range(n - 1):
            lines.append(f"task t{i} on cpu{i} {{ spin_lock(&ring[{i}]); spin_lock(&ring[{i+1}]); "
                         f"spin_unlock(&ring[{i+1}]); spin_unlock(&ring[{i}]); }}")
        if variant == "buggy":
            lines.append(f"task t{n-1} on cpu{n-1} {{ spin_lock(&ring[{n-1}]); spin_unlock(&ring[{n-1}]); }}")
        else:
            lines.append(f"task t{n-1} on cpu{n-1} {{ unsigned long f; spin_lock_irqsave(&ring[{n-1}], f); "
                         f"spin_unlock_irqrestore(&ring[{n-1}], f); }}")
        lines.append(f"irq dev on cpu{n-1} => handler;")
        lines.append("expect deadlock;" if variant == "buggy" else "expect no deadlock;")
        with open(os.path.join(here, f"spin_ring_{n}_{variant}.ksim"), "w") as f:
            f.write("\n".join(lines) + "\n")
