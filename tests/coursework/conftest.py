"""A time limit for every coursework test (pytest-timeout is not a dependency): a test still
running after ``COURSEWORK_TEST_LIMIT`` seconds (default 900; the module fixture of
test_editions.py runs every chapter's exercises) fails instead of hanging the test command."""

from __future__ import annotations

import os
import signal

import pytest

LIMIT = float(os.environ.get("COURSEWORK_TEST_LIMIT", "900"))


@pytest.fixture(autouse=True)
def time_limit(request):
    if not hasattr(signal, "setitimer"):  # Windows: no alarm; the tools' own limits still hold
        yield
        return

    def stop(signum, frame):
        raise TimeoutError(f"{request.node.nodeid} ran past the {LIMIT:g} s limit of a coursework test")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
