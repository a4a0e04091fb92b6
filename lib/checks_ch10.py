"""Chapter 10's exercise checks: the causal mask, splitting into heads, sinusoidal positions.

Built like every check of the course on :func:`lib.checks.check_function`: the learner's
function runs on the worked example and on random cases, is compared with the reference in
:mod:`lib.transformer`, and a wrong result that equals a known :class:`~lib.checks.Mistake`
is named in one sentence. Here a mistake is also named when it changes the result's shape or
dtype (``check_function`` alone would then report only the shape or the dtype).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from . import transformer
from .checks import ExerciseError, Mistake, check_function

__all__ = ["check_causal_mask", "check_split_heads", "check_sinusoidal_positions"]


def _naming_mistakes(
    name: str, learner: Callable[..., object], reference: Callable[..., Tensor],
    mistakes: Sequence[Mistake],
) -> Callable[..., object]:
    """Wrap ``learner``: a wrong result equal to a known mistake raises that mistake's message."""
    if not callable(learner):
        check_function(name, learner, reference, [])  # says "... should be a function"

    def wrapped(**case: object) -> object:
        originals = {key: value.clone() if isinstance(value, Tensor) else value
                     for key, value in case.items()}
        result = learner(**case)  # NotImplementedError and the learner's errors go to check_function
        if not isinstance(result, Tensor) or any(
            isinstance(value, Tensor) and not torch.equal(value, originals[key])
            for key, value in case.items()
        ):
            return result  # check_function says what is wrong (e.g. an input changed in place)
        case = originals
        expected = reference(**case)
        if _same(result, expected):
            return result
        for mistake in mistakes:
            try:
                wrong = mistake.implementation(**case)
            except Exception:  # noqa: BLE001 - a mistake that cannot run cannot match
                continue
            if _same(result, wrong):
                raise ExerciseError(f"{name}: {mistake.message}")
        return result

    return wrapped


def _same(got: Tensor, other: Tensor) -> bool:
    if got.shape != other.shape or got.dtype != other.dtype:
        return False
    if got.dtype == torch.bool:
        return torch.equal(got, other)
    return torch.allclose(got, other, atol=1e-5, rtol=1e-4)


def _as_float(function: Callable[..., object]) -> Callable[..., object]:
    """check_function subtracts results to compare them, which bool tensors do not support."""

    def floated(**case: object) -> object:
        result = function(**case)
        return result.float() if isinstance(result, Tensor) and result.dtype == torch.bool else result

    return floated


# --------------------------------------------------------------------------------------------
# The causal mask
# --------------------------------------------------------------------------------------------


def check_causal_mask(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """``causal_mask(length) -> (length, length)`` bool, True where row i may see column j <= i."""
    name = "causal_mask"
    if not callable(learner):
        check_function(name, learner, transformer.causal_mask, [])  # "should be a function"

    def must_be_bool(**case: object) -> object:
        result = learner(**case)
        if isinstance(result, Tensor) and result.dtype != torch.bool:
            raise ExerciseError(
                f"{name} should return a bool tensor (True = may attend), but returned dtype "
                f"{result.dtype}: torch.ones(..., dtype=torch.bool) or a comparison gives bools"
            )
        return result

    ones = lambda length: torch.ones(length, length, dtype=torch.bool)  # noqa: E731
    mistakes = [
        Mistake(lambda length: ones(length).triu(),
                "you kept the upper triangle: row i may then see the future positions j > i and "
                "nothing before it; keep j <= i, the lower triangle (torch.tril)"),
        Mistake(lambda length: ones(length).tril(-1),
                "the diagonal is False, so a position cannot see itself (and row 0 sees nothing "
                "at all); use torch.tril with diagonal=0"),
        Mistake(lambda length: ones(length).triu(1),
                "you returned PyTorch's convention (True = hidden, as nn.Transformer's tgt_mask); "
                "this course's masks are True where attending is allowed: negate it"),
        Mistake(lambda length: ones(length),
                "every position may see every other: nothing is masked, the future leaks"),
    ]
    cases = [{"length": 4}, {"length": 1}, {"length": 2}, {"length": 7}]
    check_function(
        name, _as_float(_naming_mistakes(name, must_be_bool, transformer.causal_mask, mistakes)),
        _as_float(transformer.causal_mask), cases, quiet=quiet,
        hint="Row i (a query) should be True in columns 0 to i and False after.",
    )


# --------------------------------------------------------------------------------------------
# Splitting into heads
# --------------------------------------------------------------------------------------------


def _split_cases(seed: int = 10) -> list[dict[str, object]]:
    generator = torch.Generator().manual_seed(seed)
    example = {"x": torch.arange(24, dtype=torch.float32).reshape(1, 3, 8), "heads": 2}
    cases: list[dict[str, object]] = [example]
    for batch, length, heads, d_head in ((2, 5, 4, 3), (3, 6, 2, 4), (1, 4, 8, 2), (2, 7, 3, 5)):
        cases.append({"x": torch.randn(batch, length, heads * d_head, generator=generator),
                      "heads": heads})
    return cases


def check_split_heads(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """``split_heads(x (B, T, d), heads) -> (B, h, T, d/h)``; head i holds features i*d/h to (i+1)*d/h."""
    name = "split_heads"

    def shaped(x: Tensor, heads: int) -> tuple[int, int, int, int]:
        return x.shape[0], x.shape[1], heads, x.shape[2] // heads

    mistakes = [
        Mistake(lambda x, heads: x.reshape(*shaped(x, heads)),
                "you returned (B, T, h, d/h): the head axis must come before the time axis; "
                "transpose axes 1 and 2 after the reshape"),
        Mistake(lambda x, heads: x.reshape(x.shape[0], heads, x.shape[1], x.shape[2] // heads),
                "a reshape straight to (B, h, T, d/h) mixes tokens: each head gets pieces of "
                "several tokens; reshape to (B, T, h, d/h) first, then transpose(1, 2)"),
        Mistake(lambda x, heads: x.reshape(x.shape[0], x.shape[1], x.shape[2] // heads, heads)
                .permute(0, 3, 1, 2),
                "your heads take every h-th feature (interleaved); each head should take a "
                "contiguous slice of d/h features: reshape to (B, T, h, d/h), not (B, T, d/h, h)"),
        Mistake(lambda x, heads: transformer.split_heads(x, heads).reshape(-1, x.shape[1], x.shape[2] // heads),
                "you returned (B*h, T, d/h): keep the batch and head axes apart, (B, h, T, d/h)"),
    ]
    check_function(
        name, _naming_mistakes(name, learner, transformer.split_heads, mistakes),
        transformer.split_heads, _split_cases(), quiet=quiet,
        hint="Head i should hold features i*d/h to (i+1)*d/h of every token, in token order.",
    )


# --------------------------------------------------------------------------------------------
# Sinusoidal position encodings
# --------------------------------------------------------------------------------------------


def _angles(length: int, d_model: int, *, start: int = 0, step: int = 2) -> Tensor:
    positions = torch.arange(start, start + length, dtype=torch.float32).unsqueeze(1)
    exponents = torch.arange(0, d_model, 2, dtype=torch.float32) * (step / 2) / d_model
    return positions * torch.pow(10_000.0, -exponents)  # (length, d_model / 2)


def _interleave(even: Tensor, odd: Tensor) -> Tensor:
    return torch.stack([even, odd], dim=-1).flatten(-2)


def check_sinusoidal_positions(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """``sinusoidal_positions(length, d_model) -> (length, d_model)`` float32 (Vaswani et al., 2017)."""
    name = "sinusoidal_positions"
    mistakes = [
        Mistake(lambda length, d_model: _interleave(torch.cos(_angles(length, d_model)),
                                                     torch.sin(_angles(length, d_model))),
                "sine and cosine are swapped: even columns 2i take the sine, odd columns 2i+1 "
                "the cosine"),
        Mistake(lambda length, d_model: torch.cat([torch.sin(_angles(length, d_model)),
                                                   torch.cos(_angles(length, d_model))], dim=-1),
                "you put all sines in the first half and all cosines in the second; interleave "
                "them: column 2i is a sine, column 2i+1 the cosine of the same frequency"),
        Mistake(lambda length, d_model: _interleave(torch.sin(_angles(length, d_model, step=1)),
                                                     torch.cos(_angles(length, d_model, step=1))),
                "the exponent should be 2i/d for the pair i (columns 2i and 2i+1); yours is i/d, "
                "so the wavelengths stop growing halfway"),
        Mistake(lambda length, d_model: _interleave(torch.sin(_angles(length, d_model, start=1)),
                                                     torch.cos(_angles(length, d_model, start=1))),
                "positions start at 0, not 1: row 0 should be [0, 1, 0, 1, ...]"),
    ]
    cases = [{"length": 4, "d_model": 6}, {"length": 1, "d_model": 2}, {"length": 10, "d_model": 16},
             {"length": 50, "d_model": 64}, {"length": 7, "d_model": 12}]
    check_function(
        name, _naming_mistakes(name, learner, transformer.sinusoidal_positions, mistakes),
        transformer.sinusoidal_positions, cases, quiet=quiet,
        hint="Row p, column 2i is sin(p / 10000^(2i/d)); column 2i+1 is the cosine of the same angle.",
    )
