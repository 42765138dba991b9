#!/usr/bin/env python3
"""Writes the benchmark families in Scenarios/bench/ (make bench runs them):

spin_ring_<N>_{buggy,fixed}.ksim, N = 2..6: N CPUs; task i takes lock i then lock i+1 (a
  consistent order: no cycle among the tasks); the last task takes lock N-1 alone. An interrupt
  on the last CPU takes lock 0. In the buggy variant the last task holds its lock with irqs on,
  so the handler can land on it and close the cycle task0 -> task1 -> ... -> taskN-1 -> handler
  -> task0. In the fixed one it uses irqsave.

mutex_ring_<N>_{buggy,fixed}.ksim, N = 2..5, the sleeping-lock family: N tasks share 2 CPUs
  (task i on cpu i % 2); task i takes mutex i, then mutex i+1, with nothing else between. A task
  that finds its second mutex held sleeps on it and hands its CPU to the next task, so all N can
  end up each holding one mutex. In the buggy variant the last task takes mutex N-1 then mutex 0,
  closing the cycle task0 -> task1 -> ... -> taskN-1 -> task0; in the fixed one it takes mutex 0
  first (one global order: no cycle).

rcu_ring_<N>_{buggy,fixed}.ksim, N = 2..5, the RCU callback and workqueue family: the spin ring
  closed by an RCU callback instead of a hardirq handler. On the last CPU a task queues an
  object's free with call_rcu() and exits (its context switch is that CPU's quiescent state;
  idle CPUs report theirs); the callback runs in RCU_SOFTIRQ from the next tick once the grace
  period is over, takes lock 0 and queues the object's reap work with schedule_work(), which
  wakes that CPU's kworker (try_to_wake_up under the rq lock); the work takes lock N-1. In the
  buggy variant the last CPU's second task holds lock N-1 with bottom halves on, so the
  softirq can land on it and close the ring; in the fixed one it uses spin_lock_bh.
"""
import os

HERE = os.path.join(os.path.dirname(__file__), "..", "Scenarios", "bench")


def spin_ring(n, variant):
    lines = [
        f"// Benchmark family (tools/gen_bench.py): {n} CPUs, a lock chain closed only by an",
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
    return lines


def mutex_ring(n, variant):
    lines = [
        f"// Benchmark family (tools/gen_bench.py): {n} tasks on 2 CPUs, a ring of mutexes",
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
    return lines


def rcu_ring(n, variant):
    last = n - 1
    lines = [
        f"// Benchmark family (tools/gen_bench.py): {n} CPUs, a lock chain closed by an RCU callback",
        f"// in RCU_SOFTIRQ on cpu{last}, which also queues work for that CPU's kworker ({variant}).",
        f'scenario "rcu ring, {n} CPUs, {variant}";',
        f"cpus {n};",
        f"spinlock_t ring[{n}];",
        "struct obj { struct rcu_head rcu; struct work_struct reap; };",
        f"void obj_reap(struct work_struct *work) {{ spin_lock(&ring[{last}]); spin_unlock(&ring[{last}]); }}",
        "struct obj victim = { .reap.func = obj_reap };",
        "void obj_free_rcu(struct rcu_head *rhp) { spin_lock(&ring[0]); schedule_work(&victim.reap); "
        "spin_unlock(&ring[0]); }",
    ]
    for i in range(n - 1):
        lines.append(f"task t{i} on cpu{i} {{ spin_lock(&ring[{i}]); spin_lock(&ring[{i+1}]); "
                     f"spin_unlock(&ring[{i+1}]); spin_unlock(&ring[{i}]); }}")
    lines.append(f"task freer on cpu{last} {{ call_rcu(&victim.rcu, obj_free_rcu); }}")
    if variant == "buggy":
        lines.append(f"task t{last} on cpu{last} {{ spin_lock(&ring[{last}]); spin_unlock(&ring[{last}]); }}")
    else:
        lines.append(f"task t{last} on cpu{last} {{ spin_lock_bh(&ring[{last}]); spin_unlock_bh(&ring[{last}]); }}")
    lines.append(f"irq tick on cpu{last} => update_process_times;")
    return lines


FAMILIES = [("spin_ring", spin_ring, range(2, 7)), ("mutex_ring", mutex_ring, range(2, 6)),
            ("rcu_ring", rcu_ring, range(2, 6))]

for name, make, sizes in FAMILIES:
    for n in sizes:
        for variant in ("buggy", "fixed"):
            lines = make(n, variant)
            lines.append("expect deadlock;" if variant == "buggy" else "expect no deadlock;")
            with open(os.path.join(HERE, f"{name}_{n}_{variant}.ksim"), "w") as f:
                f.write("\n".join(lines) + "\n")
