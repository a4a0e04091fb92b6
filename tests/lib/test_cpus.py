import os

from lib.cpus import available_cpus


def test_available_cpus_is_this_process_affinity():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert available_cpus() == expected >= 1
