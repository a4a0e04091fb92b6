"""The one way to build an exercise check: :func:`check_function`.

A check runs a learner's function on the chapter's worked example and on random cases,
compares it with the reference, and either prints one line that says it passed or raises
:class:`ExerciseError` with one sentence a learner can act on: not implemented yet, raised an
error (with a hint when the error is a size mismatch), changed its input in place, wrong type,
dtype, device or shape, NaN, or wrong values. Whenever the result is wrong, it is compared with
the known mistakes of the exercise (softmax over the wrong axis, mask ignored, ...) to name the
one that was made, whatever went wrong: values, shape or NaN.

Every call of the learner's code goes through :func:`run_learner`, which stops a call that runs
longer than :data:`TIME_LIMIT_S` seconds (a loop that never ends) with a sentence naming the limit.
A check's :class:`~lib.checks.manner.Rules` say what the learner's function may not do (run the
library's own answer, use autograd, loop in Python); :mod:`lib.checks.manner` watches each call
for it, and a case whose values are right is then refused with one sentence saying why.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor

from .manner import Rules, watching

__all__ = ["ExerciseError", "NOT_IMPLEMENTED", "Mistake", "Rules", "SIZE_ERRORS", "TIME_LIMIT_S", "check_function",
           "run_learner"]

#: Seconds one call of a learner's function may run before the check stops it: every exercise
#: takes milliseconds on its cases, so only a loop that never ends comes near it.
TIME_LIMIT_S = 10.0

#: What every check says about a function that still raises NotImplementedError (the student
#: edition's stub); the coursework tests look for it.
NOT_IMPLEMENTED = "is not implemented yet"

#: Phrases of PyTorch's errors for a matrix product or a broadcast of mismatched sizes.
SIZE_ERRORS = ("cannot be multiplied", "batch2 tensor", "must match the size", "does not broadcast",
               "Expected size", "mismatch")

Case = Mapping[str, object]


class ExerciseError(AssertionError):
    """A learner-facing failure: the message says what is wrong and where to look.

    IPython (Jupyter, Colab) shows it as its message alone, without a traceback, through the
    ``_render_traceback_`` hook of its ``showtraceback``: the message *is* the feedback. The
    cell still fails, so nbgrader and nbval see it.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"✗ {self}"]


@dataclass(frozen=True)
class Mistake:
    """A known-wrong implementation and what to tell a learner whose output matches it."""

    implementation: Callable[..., Tensor]
    message: str


def describe(value: object) -> str:
    """``"a torch.float32 tensor of shape (2, 3)"``, or the type's name."""
    if isinstance(value, Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def _clone(case: Case) -> dict[str, object]:
    return {key: value.clone() if isinstance(value, Tensor) else value for key, value in case.items()}


def _shapes(case: Case) -> str:
    return ", ".join(f"{key} {tuple(value.shape)}" for key, value in case.items() if isinstance(value, Tensor))


def _first_difference(got: Tensor, expected: Tensor) -> str:
    got, expected = got.double(), expected.double()  # bool and integer results subtract too
    index = (got - expected).abs().flatten().argmax().item()
    position = tuple(int(i) for i in torch.unravel_index(torch.tensor(index), expected.shape))
    return f"at index {position} you return {got[position].item():.4g}, expected {expected[position].item():.4g}"


class _TooSlow(BaseException):
    """Raised inside the learner's function by the timer's signal handler.

    A BaseException, as KeyboardInterrupt is, so that a learner's ``except Exception:`` inside
    a loop does not swallow it (the check would then hang forever).
    """


#: After the limit, the timer fires again this often, so that a bare ``except:`` (which catches
#: even a BaseException) swallowing the stop once does not hang the check either.
_REPEAT_S = 0.25


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_TooSlow` in the body after ``seconds`` of wall-clock time, and again every
    :data:`_REPEAT_S` seconds until the body is left.

    Uses SIGALRM through ``signal.setitimer(ITIMER_REAL)``, so it only works on POSIX and in the
    main thread (where Jupyter and pytest run code); elsewhere (Windows, a worker thread) the body
    runs without a limit. A handler and timer set before are restored afterwards, the timer with
    the time it had left.
    """
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return
    inside = True  # False once the body is left: a signal still on its way then does nothing

    def stop(signum: int, frame: object) -> None:
        if inside:
            raise _TooSlow()

    previous_handler = signal.signal(signal.SIGALRM, stop)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_S)
    try:
        yield
    finally:
        inside = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:
            signal.setitimer(signal.ITIMER_REAL, previous_delay, previous_interval)


def run_learner(name: str, learner: Callable[..., object], inputs: dict[str, object], where: str,
                error_hints: Sequence[tuple[Sequence[str], str]] = (),
                time_limit: float | None = None) -> object:
    """``learner(**inputs)``; any exception it raises becomes one learner-facing sentence.

    ``where`` names the case ("the worked example (query (1, 3), keys (1, 2, 3))"). An error whose
    message contains a phrase of ``error_hints`` gets that hint (a matrix product of the wrong
    sizes: "transpose the keys"). A call longer than ``time_limit`` seconds (default
    :data:`TIME_LIMIT_S`) is stopped (see :func:`_time_limit`: only on POSIX in the main thread;
    elsewhere it runs without a limit).
    """
    time_limit = TIME_LIMIT_S if time_limit is None else time_limit
    try:
        with _time_limit(time_limit):
            return learner(**inputs)
    except _TooSlow:
        raise ExerciseError(
            f"{name} ran longer than the {time_limit:g}-second limit on {where} and was stopped: "
            "look for a loop that never ends (a `while` whose condition never turns False)"
        ) from None
    except NotImplementedError:
        raise ExerciseError(
            f"{name} {NOT_IMPLEMENTED}: replace `raise NotImplementedError()` with your code, "
            "then run this cell again"
        ) from None
    except ExerciseError:
        raise
    except Exception as error:  # the learner's bug, reported in one line
        text = str(error).splitlines()[0].rstrip(".") if str(error) else ""
        hint = next((hint for phrases, hint in error_hints if any(p in str(error) for p in phrases)), "")
        raise ExerciseError(
            f"{name} raised {type(error).__name__} on {where}: {text}" + (f". {hint}" if hint else "")
        ) from None


def _matches(got: Tensor, wrong: object, atol: float) -> bool:
    return isinstance(wrong, Tensor) and wrong.shape == got.shape and (
        torch.allclose(got.double(), wrong.double(), atol=atol, rtol=1e-4, equal_nan=True))


def _named_mistake(name: str, got: Tensor, case: Case, mistakes: Sequence[Mistake], atol: float) -> None:
    """Raise the message of the first known mistake whose result equals ``got``."""
    for mistake in mistakes:
        try:
            wrong = mistake.implementation(**_clone(case))
        except Exception:  # noqa: BLE001 - a mistake that cannot run cannot match
            continue
        if _matches(got, wrong, atol):
            raise ExerciseError(f"{name}: {mistake.message}")


def _as_float(function: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """A bool result as 0.0 / 1.0, so that values compare by subtraction."""

    def floated(**case: object) -> Tensor:
        return function(**case).float()

    return floated


def check_function(
    name: str,
    learner: Callable[..., object],
    reference: Callable[..., Tensor],
    cases: Sequence[Case],
    *,
    mistakes: Sequence[Mistake] = (),
    hint: str = "",
    error_hints: Sequence[tuple[Sequence[str], str]] = (),
    boolean: str = "",
    atol: float = 1e-5,
    rules: Rules | None = None,
    quiet: bool = False,
) -> None:
    """Compare ``learner(**case)`` with ``reference(**case)`` on every case.

    Args:
        name: the function's name as the learner wrote it (used in every message).
        learner, reference: the two functions; called with keyword arguments.
        cases: keyword arguments, the worked example first.
        mistakes: known-wrong implementations, tried in order when the result is wrong.
        hint: said when values are wrong and no known mistake matches.
        error_hints: ``(phrases, hint)``: said when the learner's function raises an error whose
            message contains one of the phrases (e.g. :data:`SIZE_ERRORS`).
        boolean: for a function that returns a bool tensor, what True means.
        atol: absolute tolerance (relative tolerance 1e-4).
        rules: what the learner's function may not do (run the library's answer, autograd, a
            Python loop); checked on every case whose values are right.
        quiet: no success message.

    Raises:
        ExerciseError: with one learner-facing sentence.
    """
    if not callable(learner):
        raise ExerciseError(f"{name} should be a function, but it is {describe(learner)}")
    if boolean:
        reference = _as_float(reference)
        mistakes = [Mistake(_as_float(m.implementation), m.message) for m in mistakes]
        hint = hint or f"(1 means True: {boolean})"
    for number, case in enumerate(cases):
        which = "the worked example" if number == 0 else f"test case {number}"
        inputs = _clone(case)
        # A stand-in whose calls run in another process (the grader's LearnerFunction) is traced
        # there, where the learner's code runs: it brings its own ``watching``.
        watch = learner.watching if getattr(learner, "runs_elsewhere", False) else watching
        with watch(rules) as seen:
            got = run_learner(name, learner, inputs, f"{which} ({_shapes(case)})", error_hints)
        for key, value in case.items():
            if isinstance(value, Tensor) and not torch.equal(inputs[key], value):
                raise ExerciseError(
                    f"{name} changed its input `{key}` in place; build a new tensor instead "
                    "(avoid in-place operations such as `+=`, `.mul_()` or `x[...] = ...` on inputs)"
                )
        if not isinstance(got, Tensor):
            raise ExerciseError(f"{name} should return a torch.Tensor, but returned {describe(got)} on {which}")
        if boolean:
            if got.dtype != torch.bool:
                raise ExerciseError(
                    f"{name} should return a bool tensor ({boolean}), but returned dtype {got.dtype}: "
                    "a comparison such as `<` or torch.isclose gives bools directly"
                )
            got = got.float()
        expected = reference(**_clone(case))
        _compare(name, got, expected, case, which, mistakes, hint, atol)
        if rules is not None and (refusal := seen.refusal(name, rules)):
            raise ExerciseError(refusal)
    if not quiet:
        print(f"✓ {name} is correct: it matches the reference on the worked example and "
              f"{len(cases) - 1} random tests.")


def _compare(name: str, got: Tensor, expected: Tensor, case: Case, which: str,
             mistakes: Sequence[Mistake], hint: str, atol: float) -> None:
    """Raise the first thing wrong with ``got``: device, dtype, shape, NaN, values."""
    shapes = _shapes(case)
    if got.device != expected.device:
        raise ExerciseError(
            f"{name} returned a tensor on {got.device}, but its inputs are on {expected.device}: "
            "create new tensors with `device=` of an input (or use *_like)"
        )
    if got.dtype != expected.dtype:
        raise ExerciseError(
            f"{name} returned dtype {got.dtype}, expected {expected.dtype} like its inputs: "
            "avoid converting with .double(), .numpy() or Python floats"
        )
    new_nan = bool(torch.isnan(got).any()) and not bool(torch.isnan(expected).any())
    if got.shape != expected.shape or (new_nan and not bool(torch.isnan(got).all())):
        # A wrong shape, or NaN in part of the result, may still be a known mistake.
        _named_mistake(name, got, case, mistakes, atol)
    if got.shape != expected.shape:
        raise ExerciseError(
            f"{name} returned shape {tuple(got.shape)} on {which} ({shapes}), expected "
            f"{tuple(expected.shape)}: check which axis you sum, transpose or squeeze"
        )
    if new_nan:
        raise ExerciseError(
            f"{name} returned NaN on {which} ({shapes}): look for -inf - -inf, 0/0 or exp() "
            "of a large number (subtract the maximum before exponentiating)"
        )
    if not torch.allclose(got, expected, atol=atol, rtol=1e-4, equal_nan=True):
        _named_mistake(name, got, case, mistakes, atol)
        raise ExerciseError(
            f"{name} returned wrong values on {which} ({shapes}): "
            f"{_first_difference(got, expected)}" + (f". {hint}" if hint else "")
        )
