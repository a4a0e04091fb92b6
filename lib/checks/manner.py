"""How a learner's function computed its answer: the rules an exercise states, enforced.

A check compares the learner's result with a reference, but some exercises also say *how* to get
it: not by handing in (or calling) the library's own function, which is the reference itself;
"without autograd"; "no Python loop". Values cannot tell these apart, so :func:`watching` looks at
what runs while the learner's function runs, with :func:`sys.settrace`:

* **The library's answer.** Every Python function that starts running reports its code object.
  ``lib.attention.attend`` handed in as it is, wrapped in ``functools.partial``, in a lambda, in a
  decorator or a class, or imported under another name all run the same code object, so one test,
  "did this code object run?", catches them all. (A name or identity test catches only the first.)
* **Autograd.** ``Tensor.backward``, ``torch.autograd.backward`` and ``torch.autograd.grad`` are
  Python functions, and every other way to a gradient (``torch.func.grad``,
  ``torch.autograd.functional.jacobian``) goes through them: their code objects are watched too.
* **A Python loop.** In the learner's own code (any file outside ``lib``, ``torch`` and Python's
  installation), the trace counts how often each line runs in one frame: a ``for``, a ``while``, a
  comprehension or a generator runs some line twice or more. Counting what ran is exact, where
  timing how the cost grows with the input is noisy on a busy machine, and where reading the
  source (``ast``) misses a loop in a helper the function calls and needs a source file a
  notebook cell may not have.

The trace only runs during a learner's call (inputs of a few dozen numbers), restores any tracer
set before (a debugger, coverage), and is inert where ``sys.settrace`` is unavailable.
"""

from __future__ import annotations

import inspect
import linecache
import os
import sys
import sysconfig
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["Rules", "Seen", "watching"]

_LIB = str(Path(__file__).resolve().parents[1])  # the lib package: the checks' own code too
_LIBRARY_DIRS = tuple({_LIB, str(Path(torch.__file__).resolve().parent),
                       *(str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "purelib", "platlib"))})


@dataclass(frozen=True)
class Rules:
    """What a learner's function may not do while it runs, each with the hint a refusal gives.

    Attributes:
        answers: the library's own answers (functions, classes or modules of ``lib``): the
            learner's function must not run their code, directly or through a wrapper.
        answers_hint: what to do instead ("write steps 2 to 5 with torch operations").
        no_autograd: non-empty when the exercise says "without autograd": the hint.
        no_loop: non-empty when the exercise says "no Python loop": the hint.
    """

    answers: Sequence[object] = ()
    answers_hint: str = "write it yourself with torch operations"
    no_autograd: str = ""
    no_loop: str = ""


@dataclass
class Seen:
    """What :func:`watching` saw the learner's function do, and the sentence that refuses it."""

    answer: str = ""  # "lib.attention.attend"
    autograd: str = ""  # "torch.autograd.grad"
    loop: tuple[int, str, int] | None = None  # (line number, its text, how often it ran in one call)

    def refusal(self, name: str, rules: Rules) -> str:
        """One sentence saying why the function is refused, or "" when nothing was seen."""
        if self.answer:
            return (f"{name} runs {self.answer}, the library's own answer that this check compares "
                    f"with: handed in or called, it proves nothing you wrote; {rules.answers_hint}")
        if self.autograd:
            return (f"{name} uses autograd ({self.autograd}): the exercise asks for the gradient without "
                    f"autograd; {rules.no_autograd}")
        if self.loop:
            line, text, runs = self.loop
            shown = f"`{text}` (line {line})" if text else f"line {line}"
            return (f"{name} runs a Python loop: {shown} ran {runs} times in one call, and the exercise "
                    f"asks for no loop; {rules.no_loop}")
        return ""


def _codes(answer: object) -> Iterator[types.CodeType | str]:
    """The code objects of a function, of a class's methods, or a module's file name."""
    if isinstance(answer, types.ModuleType):
        yield str(Path(answer.__file__).resolve())
    elif isinstance(answer, type):
        for value in vars(answer).values():
            yield from _codes(value)
    elif isinstance(answer, (staticmethod, classmethod)):
        yield from _codes(answer.__func__)
    elif callable(answer):
        code = getattr(inspect.unwrap(answer), "__code__", None)
        if code is not None:
            yield code


def _label(code: types.CodeType) -> str:
    module = Path(code.co_filename).resolve()
    try:
        dotted = ".".join(module.relative_to(Path(_LIB).parent).with_suffix("").parts)
    except ValueError:
        dotted = module.stem
    return f"{dotted}.{getattr(code, 'co_qualname', code.co_name)}"


def _autograd_codes() -> dict[types.CodeType, str]:
    return {torch.Tensor.backward.__code__: "Tensor.backward",
            inspect.unwrap(torch.autograd.backward).__code__: "torch.autograd.backward",
            inspect.unwrap(torch.autograd.grad).__code__: "torch.autograd.grad"}


_learner_files: dict[str, bool] = {}
_resolved_files: dict[str, str] = {}


def _resolved(filename: str) -> str:
    if filename not in _resolved_files:
        _resolved_files[filename] = filename if filename.startswith("<") else str(Path(filename).resolve())
    return _resolved_files[filename]


def _is_learners(filename: str) -> bool:
    """Code outside lib, torch and Python's installation: a notebook cell, a test, a script."""
    known = _learner_files.get(filename)
    if known is None:
        if filename.startswith("<frozen"):
            known = False
        elif filename.startswith("<"):
            known = True  # "<string>", "<ipython-input-...>": code typed by someone
        else:
            resolved = _resolved(filename)
            known = not any(resolved == d or resolved.startswith(d + os.sep) for d in _LIBRARY_DIRS)
        _learner_files[filename] = known
    return known


@contextmanager
def watching(rules: Rules | None) -> Iterator[Seen]:
    """Trace the body (a learner's call) for what ``rules`` forbid; yield what was seen.

    Nothing is raised here: the check decides when to refuse (after the values are compared, so
    a wrong answer hears about its values first).
    """
    seen = Seen()
    if rules is None or not (rules.answers or rules.no_autograd or rules.no_loop) or not hasattr(sys, "settrace"):
        yield seen
        return
    codes: set[types.CodeType] = set()
    files: set[str] = set()
    for answer in rules.answers:
        for code in _codes(answer):
            (files if isinstance(code, str) else codes).add(code)
    autograd = _autograd_codes() if rules.no_autograd else {}
    runs: dict[tuple[int, int], int] = {}  # (frame, line) -> how often it ran
    where: dict[tuple[int, int], str] = {}  # (frame, line) -> the file
    frames: list[types.FrameType] = []  # alive until the end, so that no two frames share an id

    def per_line(frame: types.FrameType, event: str, arg: object) -> object:
        if event == "line":
            key = (id(frame), frame.f_lineno)
            runs[key] = runs.get(key, 0) + 1
            where[key] = frame.f_code.co_filename
        return per_line

    def per_call(frame: types.FrameType, event: str, arg: object) -> object:
        code = frame.f_code
        if not seen.answer and (code in codes or (files and _resolved(code.co_filename) in files)):
            seen.answer = _label(code)
        if not seen.autograd and code in autograd:
            seen.autograd = autograd[code]
        if rules.no_loop and _is_learners(code.co_filename):
            frames.append(frame)
            return per_line
        return None

    previous = sys.gettrace()
    sys.settrace(per_call)
    try:
        yield seen
    finally:
        sys.settrace(previous)
        most = max(runs, key=runs.get, default=None)
        if most is not None and runs[most] > 1:
            line = most[1]
            seen.loop = (line, linecache.getline(where[most], line).strip(), runs[most])
        frames.clear()
