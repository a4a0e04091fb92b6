"""The engine, and the harness's reach: every check of lib.checks has a spec with >= 3 named mistakes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from harness import fails
from lib import attention, checks, transformer
from lib.checks.ch07 import reference_bahdanau_step
from lib.data import source_mask

MODULES = sorted(path.stem for path in Path(__file__).parent.glob("test_ch[0-9][0-9].py"))


def _specs():
    return [spec for module in MODULES for spec in importlib.import_module(module).SPECS]


def test_every_check_is_on_the_harness_with_three_named_mistakes(capsys):
    """Prints the count of checks and of named mistakes per check (shown with or without -s)."""
    specs = _specs()
    counts = {spec.check.__name__: len(spec.mistakes) for spec in specs}
    rows = [f"{'check':36} named mistakes"] + [f"{name:36} {count}" for name, count in counts.items()]
    rows.append(f"{len(counts)} checks, {sum(counts.values())} named mistakes")
    with capsys.disabled():
        print("\n" + "\n".join(rows))
    assert set(counts) == set(checks.CHECKS), "every learner-facing check has a spec in tests/checks/"
    assert len(counts) == len(specs) == 17
    assert all(count >= 3 for count in counts.values()), counts
    assert all(spec.check.__module__ == f"lib.checks.ch{module[-2:]}"
               for module in MODULES for spec in importlib.import_module(module).SPECS)


def _lib_context(weights, values):
    return attention.context_vector(attention.weighted_values(weights, values))


LIB_VERSIONS = {
    "check_key_mask": lambda lengths, src_len: source_mask(lengths, src_len),
    "check_dot_product_scores": attention.dot_product_scores,
    "check_attention_weights": attention.attention_weights,
    "check_weighted_values": attention.weighted_values,
    "check_context_vector": _lib_context,
    "check_attend": lambda query, keys, mask: attention.attend(query, keys, mask=mask),
    "check_find_slips": lambda weights, keys, claimed: ~torch.isclose(_lib_context(weights, keys), claimed),
    "check_scaled_dot_product_scores": attention.ScaledDotScore(),
    "check_bahdanau_step": reference_bahdanau_step,
    "check_causal_mask": transformer.causal_mask,
    "check_split_heads": transformer.split_heads,
    "check_sinusoidal_positions": transformer.sinusoidal_positions,
}


@pytest.mark.parametrize("name", LIB_VERSIONS)
def test_lib_versions_pass_their_checks(name):
    """The lib functions the chapters compare against pass the learners' checks."""
    checks.CHECKS[name](LIB_VERSIONS[name], quiet=True)


def test_learner_bug_is_one_line_not_a_traceback():
    def buggy(query, keys):
        return undefined_name  # noqa: F821

    message = fails(checks.check_dot_product_scores, buggy, "raised NameError on the worked example")
    assert "undefined_name" in message


def test_size_error_gets_the_exercise_hint():
    message = fails(checks.check_dot_product_scores, lambda query, keys: torch.bmm(query.unsqueeze(1), keys),
                    "keys.transpose(1, 2)")
    assert message.startswith("dot_product_scores")


def test_ipython_shows_the_message_alone():
    """IPython's showtraceback uses an exception's _render_traceback_: the cell shows one line."""
    error = checks.ExerciseError("attend is not implemented yet")
    assert error._render_traceback_() == ["✗ attend is not implemented yet"]


def test_exercise_error_renders_in_a_real_ipython_shell(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    result = shell.run_cell("from lib import checks\nchecks.check_dot_product_scores(None)")
    assert isinstance(result.error_in_exec, checks.ExerciseError)  # the cell fails (nbval, nbgrader)
    shown = capsys.readouterr()
    assert "✗ dot_product_scores should be a function" in shown.out + shown.err
    assert "Traceback" not in shown.out + shown.err


def _alarm_handler(signum, frame):  # a handler set before a check runs; it must come back
    raise AssertionError("the previous SIGALRM handler was called")


def test_a_loop_that_never_ends_is_stopped_with_the_limit_named(monkeypatch):
    import signal
    import time

    monkeypatch.setattr(checks.engine, "TIME_LIMIT_S", 0.5)  # read at each call: a short limit for the test
    previous = signal.signal(signal.SIGALRM, _alarm_handler)
    try:
        def forever(lengths, src_len):
            while True:
                pass

        start = time.monotonic()
        message = fails(checks.check_key_mask, forever, "0.5-second limit")
        assert time.monotonic() - start < 5, "stopped within a bound"
        assert message.startswith("key_mask ran longer than") and "loop that never ends" in message
        assert signal.getsignal(signal.SIGALRM) is _alarm_handler
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)

        def sleeps_briefly(lengths, src_len):
            time.sleep(0.01)
            return torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1)

        checks.check_key_mask(sleeps_briefly, quiet=True)
        assert signal.getsignal(signal.SIGALRM) is _alarm_handler
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_the_default_limit_is_named_and_a_running_timer_is_restored():
    import signal

    assert checks.engine.TIME_LIMIT_S == 10.0
    previous = signal.signal(signal.SIGALRM, _alarm_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100.0)
        checks.check_key_mask(lambda lengths, src_len: torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1),
                              quiet=True)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left <= 100, left
        assert signal.getsignal(signal.SIGALRM) is _alarm_handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# Run in a fresh interpreter: if the limit is swallowed, the call never returns, and only a
# process can be stopped from outside (subprocess's timeout), so a regression fails, not hangs.
SWALLOWS_THE_LIMIT = """
import time
from lib.checks.engine import ExerciseError, run_learner

def catches_exception():  # a learner's retry loop: `except Exception` must not catch the limit
    while True:
        try:
            time.sleep(0.01)
        except Exception:
            pass

def bare_except_once():  # a bare `except:` catches anything once; the timer fires again
    try:
        while True:
            time.sleep(0.01)
    except:  # noqa: E722
        pass
    while True:
        time.sleep(0.01)

for learner in (catches_exception, bare_except_once):
    start = time.monotonic()
    try:
        run_learner(learner.__name__, learner, {}, "the worked example", time_limit=0.3)
    except ExerciseError as error:
        print(f"{time.monotonic() - start:.2f}", error)
"""


def test_the_limit_is_not_swallowed_by_the_learners_except():
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", SWALLOWS_THE_LIMIT], capture_output=True, text=True,
                          timeout=30, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    for line, name in zip(lines, ("catches_exception", "bare_except_once")):
        seconds, message = line.split(" ", 1)
        assert message.startswith(f"{name} ran longer than the 0.3-second limit"), message
        assert float(seconds) < 5, line
