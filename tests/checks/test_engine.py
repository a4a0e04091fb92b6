"""The engine, and the harness's reach: every check of lib.checks has a spec with >= 3 named mistakes."""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import types
from pathlib import Path

import pytest
import torch

from harness import fails
from lib import attention, checks, transformer
from lib.checks.ch07 import reference_bahdanau_step, reference_luong_step
from lib.checks.engine import ExerciseError
from lib.checks.manner import Seen

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
    assert len(counts) == len(specs) == 19
    assert all(count >= 3 for count in counts.values()), counts
    assert all(spec.check.__module__ == f"lib.checks.ch{module[-2:]}"
               for module in MODULES for spec in importlib.import_module(module).SPECS)


def _lib_context(weights, values):
    return attention.context_vector(attention.weighted_values(weights, values))


LIB_VERSIONS = {
    "check_dot_product_scores": attention.dot_product_scores,
    "check_attention_weights": attention.attention_weights,
    "check_weighted_values": attention.weighted_values,
    "check_context_vector": _lib_context,
    "check_attend": lambda query, keys, mask: attention.attend(query, keys, mask=mask),
    "check_find_slips": lambda weights, keys, claimed: ~torch.isclose(_lib_context(weights, keys), claimed),
    "check_bahdanau_step": reference_bahdanau_step,
    "check_luong_step": reference_luong_step,
    "check_causal_padded_attention": lambda queries, keys, values, lengths: attention.attend(
        queries, keys, values, mask=transformer.causal_mask(queries.shape[1]) & (
            torch.arange(queries.shape[1]) < lengths.unsqueeze(1)).unsqueeze(1), score=attention.ScaledDotScore())[0],
    "check_split_heads": transformer.split_heads,
    "check_offset_matrix": lambda k, d_model: torch.linalg.lstsq(
        transformer.sinusoidal_positions(64, d_model)[:64 - k], transformer.sinusoidal_positions(64, d_model)[k:]).solution.T,
}


@pytest.mark.parametrize("name", LIB_VERSIONS)
def test_lib_versions_are_refused_with_a_sentence_saying_why(name):
    """The lib functions the chapters compare against are the checks' own answers: handed in, or
    called inside the learner's function, they are refused (issue 21: they all passed before)."""
    message = fails(checks.CHECKS[name], LIB_VERSIONS[name], "the library's own answer")
    assert "proves nothing you wrote" in message


def _decorated(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper


class _Attention(torch.nn.Module):  # a module whose forward calls lib: the same code runs
    def forward(self, query, keys, mask):
        return attention.attend(query, keys, mask=mask)


WAYS = ["as it is", "functools.partial", "lambda", "decorator", "renamed"]


@pytest.mark.parametrize(("check", "answer", "label", "how"), [
    *((checks.check_attend, attention.attend, "lib.attention.attend", how) for how in [*WAYS, "module"]),
    *((checks.check_split_heads, transformer.split_heads, "lib.transformer.split_heads", how) for how in WAYS),
])
def test_the_library_answer_is_refused_however_it_is_handed_in(check, answer, label, how):
    renamed = types.FunctionType(answer.__code__, answer.__globals__, "mine", answer.__defaults__)
    renamed.__kwdefaults__ = answer.__kwdefaults__  # a copy of the function object: the same code
    learner = {
        "as it is": answer,
        "functools.partial": functools.partial(answer),
        "lambda": lambda *args, **kwargs: answer(*args, **kwargs),
        "decorator": _decorated(answer),
        "module": _Attention(),
        "renamed": renamed,
    }[how]
    message = fails(check, learner, f"runs {label}, the library's own answer")
    assert message.startswith(check.__name__.removeprefix("check_"))


def _gradient_by_backward(query, keys, target):
    query = query.clone().requires_grad_()
    weights = torch.softmax(torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1), -1)  # (B, T)
    weights.gather(1, target.unsqueeze(1)).log().sum().backward()
    return query.grad


def _gradient_by_grad(query, keys, target):
    query = query.clone().requires_grad_()
    log_weights = torch.log_softmax(torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1), -1)
    return torch.autograd.grad(log_weights.gather(1, target.unsqueeze(1)).sum(), query)[0]


def _gradient_by_func(query, keys, target):
    def log_weight(q):
        return torch.log_softmax(torch.bmm(keys, q.unsqueeze(-1)).squeeze(-1), -1).gather(1, target.unsqueeze(1)).sum()
    return torch.func.grad(log_weight)(query)


@pytest.mark.parametrize(("learner", "which"), [(_gradient_by_backward, "Tensor.backward"),
                                                (_gradient_by_grad, "torch.autograd.grad"),
                                                (_gradient_by_func, "torch.autograd.grad")])
def test_autograd_is_refused_where_the_exercise_says_without_autograd(learner, which):
    from lib.checks.ch08 import _query_gradient_cases

    learner(**_query_gradient_cases(seed=18)[0])  # torch.func's first call imports for seconds: not under the limit
    message = fails(checks.check_query_gradient, learner, f"uses autograd ({which})")
    assert "without autograd" in message and "k_target" in message


def _scores_for(query, keys):
    rows = []
    for b in range(query.shape[0]):
        rows.append(keys[b] @ query[b])
    return torch.stack(rows)


def _scores_comprehension(query, keys):
    return torch.stack([k @ q for q, k in zip(query, keys)])


def _scores_while(query, keys):
    scores, b = [], 0
    while b < query.shape[0]:
        scores.append(keys[b] @ query[b])
        b += 1
    return torch.stack(scores)


def _scores_helper(query, keys):  # the loop hides in a helper
    return _scores_for(query, keys)


def _scores_generator(query, keys):
    return torch.stack(tuple(k @ q for q, k in zip(query, keys)))


@pytest.mark.parametrize("learner", [_scores_for, _scores_comprehension, _scores_while, _scores_helper,
                                     _scores_generator])
def test_a_python_loop_is_refused_where_the_exercise_says_no_loop(learner):
    message = fails(checks.check_dot_product_scores, learner, "runs a Python loop")
    assert "asks for no loop" in message and "one batched product" in message


def test_the_loop_refusal_quotes_the_line_that_ran_again():
    message = fails(checks.check_dot_product_scores, _scores_comprehension, "runs a Python loop")
    assert "`return torch.stack([k @ q for q, k in zip(query, keys)])`" in message


def test_a_loop_is_fine_where_the_exercise_does_not_forbid_it():
    def final_context(states, lengths):
        rows = [torch.cat([states[b, lengths[b] - 1, :states.shape[-1] // 2], states[b, 0, states.shape[-1] // 2:]])
                for b in range(states.shape[0])]
        return torch.stack(rows)

    checks.check_final_context(final_context, quiet=True)


def test_a_wrong_answer_hears_about_its_values_before_its_loop():
    def wrong(query, keys):
        return torch.stack([(k @ q).softmax(-1) for q, k in zip(query, keys)])

    fails(checks.check_dot_product_scores, wrong, "you returned softmax weights")


def test_the_watch_restores_a_tracer_set_before():
    def tracer(frame, event, arg):
        return None

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        fails(checks.check_dot_product_scores, _scores_for, "runs a Python loop")
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(before)


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
        def forever(query, keys):
            while True:
                pass

        start = time.monotonic()
        message = fails(checks.check_dot_product_scores, forever, "0.5-second limit")
        assert time.monotonic() - start < 5, "stopped within a bound"
        assert message.startswith("dot_product_scores ran longer than") and "loop that never ends" in message
        assert signal.getsignal(signal.SIGALRM) is _alarm_handler
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)

        def sleeps_briefly(query, keys):
            time.sleep(0.01)
            return (query.unsqueeze(1) @ keys.transpose(1, 2)).squeeze(1)

        checks.check_dot_product_scores(sleeps_briefly, quiet=True)
        assert signal.getsignal(signal.SIGALRM) is _alarm_handler
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_the_default_limit_is_named_and_a_running_timer_is_restored():
    import signal

    assert checks.engine.TIME_LIMIT_S == 10.0
    previous = signal.signal(signal.SIGALRM, _alarm_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100.0)
        checks.check_dot_product_scores(lambda query, keys: (query.unsqueeze(1) @ keys.transpose(1, 2)).squeeze(1),
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


class _ElsewhereStandIn:
    """Like the grader's LearnerFunction: its calls run in another process, which traces them
    (coursework/sandbox.py; tests/coursework/test_sandbox.py runs the real one) and reports here."""

    runs_elsewhere = True

    def __init__(self, function, seen_there: dict):
        self.function, self.seen_there = function, seen_there

    @contextlib.contextmanager
    def watching(self, rules):
        yield Seen(**self.seen_there) if rules is not None else Seen()

    def __call__(self, **case):
        return self.function(**case)


def test_a_stand_in_that_runs_elsewhere_is_judged_by_what_was_seen_where_it_ran():
    checks.check_dot_product_scores(_ElsewhereStandIn(_scores_for, {}), quiet=True)  # its loop was not seen here
    with pytest.raises(ExerciseError, match="runs a Python loop: `rows.append"):
        checks.check_dot_product_scores(_ElsewhereStandIn(_scores_for, {"loop": (4, "rows.append(x)", 2)}),
                                        quiet=True)
    with pytest.raises(ExerciseError, match="runs lib.attention.attend, the library's own answer"):
        checks.check_attend(_ElsewhereStandIn(lambda query, keys, mask: attention.attend(query, keys, mask=mask),
                                              {"answer": "lib.attention.attend"}), quiet=True)


def test_in_ipython_a_cell_s_loop_and_lib_answer_are_refused(capsys):
    """Notebook cells are compiled by IPython (a file of their own, in linecache): the loop's line is quoted."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("import torch\nfrom lib import attention, checks\n"
                   "def scores(query, keys):\n    return torch.stack([k @ q for q, k in zip(query, keys)])")
    looped = shell.run_cell("checks.check_dot_product_scores(scores)")
    handed_in = shell.run_cell("checks.check_dot_product_scores(attention.dot_product_scores)")
    shown = capsys.readouterr()
    assert isinstance(looped.error_in_exec, checks.ExerciseError) and isinstance(handed_in.error_in_exec, checks.ExerciseError)
    assert "`return torch.stack([k @ q for q, k in zip(query, keys)])` (line 4)" in str(looped.error_in_exec)
    assert "runs lib.attention.dot_product_scores" in shown.out + shown.err
