"""Exercise checks: run a learner's function against the reference and say what is wrong.

Every check runs the learner's function on the chapter's worked example and on fresh random
batches, compares it with the reference in :mod:`lib.attention`, and either prints one line
that says it passed or raises :class:`ExerciseError` with one sentence a learner can act on:
not implemented yet, raised an error, changed its input in place, wrong type, dtype, device or
shape, NaN, or wrong values, in which case the result is compared with the usual mistakes
(softmax over the wrong axis, mask ignored, ...) to name the one that was made.

In IPython (Jupyter, Colab) an :class:`ExerciseError` is shown as its message alone, without a
traceback: the message *is* the feedback. The cell still fails, so nbgrader and nbval see it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from . import attention

__all__ = [
    "ExerciseError", "NOT_IMPLEMENTED", "Mistake", "check_function", "check_dot_product_scores",
    "check_attention_weights", "check_weighted_values", "check_context_vector", "check_attend",
]

NOT_IMPLEMENTED = "is not implemented yet"


class ExerciseError(AssertionError):
    """A learner-facing failure: the message says what is wrong and where to look."""


@dataclass(frozen=True)
class Mistake:
    """A known-wrong implementation and what to tell a learner whose output matches it."""

    implementation: Callable[..., Tensor]
    message: str


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def _clone(value: object) -> object:
    return value.clone() if isinstance(value, Tensor) else value


def _first_difference(got: Tensor, expected: Tensor) -> str:
    got, expected = got.double(), expected.double()  # bool and integer results subtract too
    index = (got - expected).abs().flatten().argmax().item()
    position = tuple(int(i) for i in torch.unravel_index(torch.tensor(index), expected.shape))
    return f"at index {position} you return {got[position].item():.4g}, expected {expected[position].item():.4g}"


def check_function(
    name: str,
    learner: Callable[..., object],
    reference: Callable[..., Tensor],
    cases: Sequence[dict[str, object]],
    *,
    mistakes: Sequence[Mistake] = (),
    hint: str = "",
    atol: float = 1e-5,
    quiet: bool = False,
) -> None:
    """Compare ``learner(**case)`` with ``reference(**case)`` on every case.

    Args:
        name: the function's name as the learner wrote it (used in every message).
        learner, reference: the two functions; called with keyword arguments.
        cases: keyword arguments, the worked example first.
        mistakes: known-wrong implementations, tried in order when the values are wrong.
        hint: said when values are wrong and no known mistake matches.
        atol: absolute tolerance (relative tolerance 1e-4).
        quiet: no success message.

    Raises:
        ExerciseError: with one learner-facing sentence.
    """
    if not callable(learner):
        raise ExerciseError(f"{name} should be a function, but it is {_describe(learner)}")
    for number, case in enumerate(cases):
        which = "the worked example" if number == 0 else f"test case {number}"
        shapes = ", ".join(
            f"{key} {tuple(value.shape)}" for key, value in case.items() if isinstance(value, Tensor)
        )
        inputs = {key: _clone(value) for key, value in case.items()}
        try:
            got = learner(**inputs)
        except NotImplementedError:
            raise ExerciseError(
                f"{name} {NOT_IMPLEMENTED}: replace `raise NotImplementedError()` with your code, "
                "then run this cell again"
            ) from None
        except ExerciseError:
            raise
        except Exception as error:  # the learner's bug, reported in one line
            raise ExerciseError(
                f"{name} raised {type(error).__name__} on {which} ({shapes}): {error}"
            ) from None
        for key, value in case.items():
            if isinstance(value, Tensor) and not torch.equal(inputs[key], value):
                raise ExerciseError(
                    f"{name} changed its input `{key}` in place; build a new tensor instead "
                    "(avoid in-place operations such as `+=`, `.mul_()` or `x[...] = ...` on inputs)"
                )
        expected = reference(**{key: _clone(value) for key, value in case.items()})
        if not isinstance(got, Tensor):
            raise ExerciseError(
                f"{name} should return a torch.Tensor, but returned {_describe(got)} on {which}"
            )
        if got.device != expected.device:
            raise ExerciseError(
                f"{name} returned a tensor on {got.device}, but its inputs are on "
                f"{expected.device}: create new tensors with `device=` of an input (or use *_like)"
            )
        if got.dtype != expected.dtype:
            raise ExerciseError(
                f"{name} returned dtype {got.dtype}, expected {expected.dtype} like its inputs: "
                "avoid converting with .double(), .numpy() or Python floats"
            )
        if got.shape != expected.shape:
            raise ExerciseError(
                f"{name} returned shape {tuple(got.shape)} on {which} ({shapes}), expected "
                f"{tuple(expected.shape)}: check which axis you sum, transpose or squeeze"
            )
        if torch.isnan(got).any() and not torch.isnan(expected).any():
            raise ExerciseError(
                f"{name} returned NaN on {which} ({shapes}): look for -inf - -inf, 0/0 or exp() "
                "of a large number (subtract the maximum before exponentiating)"
            )
        if not torch.allclose(got, expected, atol=atol, rtol=1e-4, equal_nan=True):
            for mistake in mistakes:
                try:
                    wrong = mistake.implementation(**{k: _clone(v) for k, v in case.items()})
                except Exception:  # noqa: BLE001 - a mistake that cannot run cannot match
                    continue
                if wrong.shape == got.shape and torch.allclose(got, wrong, atol=atol, rtol=1e-4):
                    raise ExerciseError(f"{name}: {mistake.message}")
            raise ExerciseError(
                f"{name} returned wrong values on {which} ({shapes}): "
                f"{_first_difference(got, expected)}" + (f". {hint}" if hint else "")
            )
    if not quiet:
        print(f"✓ {name} is correct: it matches the reference on the worked example and "
              f"{len(cases) - 1} random tests.")


# --------------------------------------------------------------------------------------------
# Inputs: the worked example, then random batches of varied sizes.
# --------------------------------------------------------------------------------------------

#: The running example: two keys ("나는", "오늘") and weights 0.2 / 0.8.
EXAMPLE_KEYS = torch.tensor([[[1.0, 2.0, 9.0], [9.0, 1.0, 1.0]]])  # (1, 2, 3)
EXAMPLE_WEIGHTS = torch.tensor([[0.2, 0.8]])  # (1, 2)
EXAMPLE_QUERY = torch.tensor([[1.0, 0.0, 0.5]])  # (1, 3)


def _random_batches(count: int = 5, seed: int = 0) -> list[dict[str, Tensor]]:
    """Random query (B, d), keys (B, T, d) and a padding mask (B, T) with >= 1 real key a row."""
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(count):
        batch, src_len, hidden = (int(torch.randint(2, 6, (1,), generator=generator)) for _ in range(3))
        src_len += 2
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0] = src_len  # at least one row without padding
        batches.append({
            "query": torch.randn(batch, hidden, generator=generator),
            "keys": torch.randn(batch, src_len, hidden, generator=generator),
            "mask": torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1),
            "scores": 3 * torch.randn(batch, src_len, generator=generator),
            "weights": torch.softmax(torch.randn(batch, src_len, generator=generator), -1),
        })
    return batches


def _cases(keys: Sequence[str], example: dict[str, Tensor], seed: int) -> list[dict[str, Tensor]]:
    return [example] + [{k: batch[k] for k in keys} for batch in _random_batches(seed=seed)]


# --------------------------------------------------------------------------------------------
# One check per step.
# --------------------------------------------------------------------------------------------


def check_dot_product_scores(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 03: ``scores(query (B, d), keys (B, T, d)) -> (B, T)``."""
    example = {"query": EXAMPLE_QUERY, "keys": EXAMPLE_KEYS}
    _check_explained(
        "dot_product_scores", learner, attention.dot_product_scores,
        _cases(("query", "keys"), example, seed=3),
        mistakes=[
            Mistake(lambda query, keys: attention.dot_product_scores(query, keys).unsqueeze(1),
                    "your scores have shape (B, 1, T): squeeze the middle axis of length 1 that "
                    "(B, 1, d) @ (B, d, T) leaves, .squeeze(1), to get (B, T)"),
            Mistake(lambda query, keys: torch.bmm(query.unsqueeze(1), keys).squeeze(1),
                    "the keys are not transposed: (B, 1, d) @ (B, T, d) only runs when T = d, and "
                    "then multiplies the wrong entries; use keys.transpose(1, 2), shape (B, d, T)"),
            Mistake(lambda query, keys: (query.unsqueeze(1) * keys).sum(1),
                    "you summed over the source positions (dim 1) instead of the hidden "
                    "dimension: a score multiplies q and k element by element and sums over d"),
            Mistake(lambda query, keys: torch.cdist(query.unsqueeze(1), keys).squeeze(1),
                    "you computed distances, not dot products: use (query.unsqueeze(1) @ "
                    "keys.transpose(1, 2)).squeeze(1)"),
            Mistake(lambda query, keys: attention.dot_product_scores(query, keys)
                    / math.sqrt(keys.shape[-1]),
                    "your scores are divided by sqrt(d): that is the *scaled* dot product of "
                    "chapter 08; here the score is the plain dot product"),
            Mistake(lambda query, keys: torch.softmax(attention.dot_product_scores(query, keys), -1),
                    "you returned softmax weights: this step stops at the raw scores (softmax is "
                    "chapter 04)"),
        ],
        hint="each score is (query[b] * keys[b, t]).sum() over the hidden dimension",
        error_hints=[(_SIZE_ERRORS, "a score is a dot product over d: (B, 1, d) @ (B, d, T) needs "
                      "the keys transposed, keys.transpose(1, 2)")],
        quiet=quiet,
    )


def _softmax_without_mask(scores: Tensor, mask: Tensor) -> Tensor:
    return torch.softmax(scores, -1)


def _softmax_zeroed_after(scores: Tensor, mask: Tensor) -> Tensor:
    return torch.softmax(scores, -1) * mask


def check_attention_weights(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 04: ``weights(scores (B, T), mask (B, T)) -> (B, T)``, rows sum to 1, padding 0."""
    example = {"scores": torch.tensor([[2.0, 1.0, 0.1, 5.0]]),
               "mask": torch.tensor([[True, True, True, False]])}
    large = {"scores": torch.tensor([[1000.0, 999.0, 998.0]]), "mask": torch.ones(1, 3, dtype=torch.bool)}
    _check_explained(
        "attention_weights", learner, lambda scores, mask: attention.attention_weights(scores, mask),
        [example, large] + [{k: b[k] for k in ("scores", "mask")} for b in _random_batches(seed=4)],
        mistakes=[
            Mistake(lambda scores, mask: torch.softmax(scores.masked_fill(~mask, float("-inf")), 0),
                    "your weights sum to 1 along the batch axis, not over the keys: take the "
                    "softmax over the last dimension (dim=-1)"),
            Mistake(_softmax_without_mask,
                    "padding positions get weight: the mask is ignored. Set the scores where mask "
                    "is False to -inf before the softmax"),
            Mistake(_softmax_zeroed_after,
                    "you zeroed the padded weights after the softmax, so the rest no longer sum to "
                    "1: mask the scores with -inf *before* the softmax"),
            Mistake(lambda scores, mask: scores.masked_fill(~mask, float("-inf")).exp(),
                    "your weights are not normalised: divide exp(scores) by its sum over the keys"),
            Mistake(lambda scores, mask: torch.softmax(scores.masked_fill(~mask, 0.0), -1),
                    "you set the padded scores to 0, but exp(0) = 1, so padding still gets weight: "
                    "fill them with float('-inf'), whose exp is exactly 0"),
            Mistake(lambda scores, mask: torch.softmax(scores.masked_fill(mask, float("-inf")), -1),
                    "you masked the real tokens: the mask is True at real tokens, so fill the "
                    "scores where it is False, masked_fill(~mask, float('-inf'))"),
        ],
        hint="exp(s - max) / sum(exp(s - max)) over the unmasked keys of each row",
        quiet=quiet,
    )


def check_weighted_values(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 05: ``weighted(weights (B, T), values (B, T, d)) -> (B, T, d)``."""
    example = {"weights": EXAMPLE_WEIGHTS, "values": EXAMPLE_KEYS}
    cases = [example] + [{"weights": b["weights"], "values": b["keys"]} for b in _random_batches(seed=5)]
    _check_explained(
        "weighted_values", learner, attention.weighted_values, cases,
        mistakes=[
            Mistake(lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
                    "you already summed the weighted vectors (that is the context vector, chapter "
                    "06); here keep one scaled vector per source position, shape (B, T, d)"),
            Mistake(lambda weights, values: values * weights.flip(-1).unsqueeze(-1),
                    "each vector is scaled by another position's weight: multiply values[:, t] by "
                    "weights[:, t]"),
            Mistake(lambda weights, values: values + weights.unsqueeze(-1),
                    "you added the weights; scale (multiply) each vector by its weight"),
            Mistake(lambda weights, values: values * weights.unsqueeze(1),
                    "weights.unsqueeze(1) lines the weights up with the hidden axis d, not with the "
                    "positions T: use weights.unsqueeze(-1), shape (B, T, 1)"),
        ],
        hint="weights.unsqueeze(-1) * values scales row t of values by weights[:, t]",
        error_hints=[(_SIZE_ERRORS, "weights (B, T) must line up with the T axis of values (B, T, d): "
                      "weights.unsqueeze(-1) has shape (B, T, 1) and broadcasts over d")],
        quiet=quiet,
    )


def check_context_vector(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 06: ``context(weights (B, T), values (B, T, d)) -> (B, d)``."""
    example = {"weights": EXAMPLE_WEIGHTS, "values": EXAMPLE_KEYS}
    cases = [example] + [{"weights": b["weights"], "values": b["keys"]} for b in _random_batches(seed=6)]

    def reference(weights: Tensor, values: Tensor) -> Tensor:
        return attention.context_vector(attention.weighted_values(weights, values))

    _check_explained(
        "context_vector", learner, reference, cases,
        mistakes=[
            Mistake(lambda weights, values: values.mean(1),
                    "you averaged the vectors with equal weights: use the attention weights"),
            Mistake(lambda weights, values: (weights.unsqueeze(-1) * values).sum(-1),
                    "you summed over the hidden dimension; sum over the source positions (dim 1) "
                    "so that one d-dimensional vector remains"),
            Mistake(lambda weights, values: (weights.unsqueeze(-1) * values).sum(1) / values.shape[1],
                    "you divided by the number of positions: the weights already sum to 1, so the "
                    "weighted sum is the average"),
            Mistake(lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
                    "your context has shape (B, 1, d): squeeze the axis of length 1 that "
                    "(B, 1, T) @ (B, T, d) leaves, .squeeze(1), to get (B, d)"),
            Mistake(lambda weights, values: values.sum(1),
                    "you added the vectors without their weights: scale each by weights[:, t] first"),
        ],
        hint="the context is sum_t weights[:, t] * values[:, t]; try torch.bmm",
        error_hints=[(_SIZE_ERRORS, "weights (B, T) must line up with the T axis of values (B, T, d): "
                      "weights.unsqueeze(-1) * values, or (B, 1, T) @ (B, T, d) with torch.bmm")],
        quiet=quiet,
    )


def check_attend(learner: Callable[..., tuple[Tensor, Tensor]], *, quiet: bool = False) -> None:
    """Chapter 07: ``attend(query (B, d), keys (B, T, d), mask (B, T)) -> context (B, d)``.

    The learner's function returns ``(context, weights)``; both are checked.
    """
    if not callable(learner):
        raise ExerciseError(f"attend should be a function, but it is {_describe(learner)}")
    example = {"query": EXAMPLE_QUERY, "keys": EXAMPLE_KEYS, "mask": torch.ones(1, 2, dtype=torch.bool)}
    cases = _cases(("query", "keys", "mask"), example, seed=7)
    for part, index in (("context", 0), ("weights", 1)):
        _check_explained(
            f"attend (its {part})",
            lambda index=index, **case: _pick(learner(**case), index, "attend"),
            lambda query, keys, mask, index=index: attention.attend(query, keys, mask=mask)[index],
            cases,
            mistakes=[
                Mistake(lambda query, keys, mask, index=index:
                        attention.attend(query, keys)[index],
                        "padding leaks into the result: pass the mask to the softmax step"),
                Mistake(lambda query, keys, mask, index=index:
                        attention.attend(query, keys, mask=mask, score=attention.ScaledDotScore())[index],
                        "your scores are scaled by 1/sqrt(d); this model uses the plain dot product"),
                Mistake(lambda query, keys, mask, index=index:
                        attention.attend(query, keys, mask=mask)[1 - index],
                        "you returned (weights, context): return the context first, then the weights"),
            ],
            quiet=True,
        )
    if not quiet:
        print(f"✓ attend is correct: context and weights match the reference on the worked "
              f"example and {len(cases) - 1} random tests.")


def _pick(result: object, index: int, name: str) -> object:
    if not isinstance(result, tuple) or len(result) != 2:
        raise ExerciseError(f"{name} should return a pair (context, weights), got {_describe(result)}")
    return result[index]


# --------------------------------------------------------------------------------------------
# Chapter 01: the fixed context vector of a bidirectional encoder.
# --------------------------------------------------------------------------------------------


def _reference_final_context(states: Tensor, lengths: Tensor) -> Tensor:
    half = states.shape[-1] // 2
    last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, half)  # (B, 1, d/2)
    forward_last = states[..., :half].gather(1, last).squeeze(1)  # forward GRU at its last token
    backward_first = states[:, 0, half:]  # backward GRU ends at the first token
    return torch.cat([forward_last, backward_first], dim=-1)


def check_final_context(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 01: ``final_context(states (B, T, d), lengths (B,)) -> (B, d)``."""
    generator = torch.Generator().manual_seed(1)
    # Two sequences of d = 4, padded to T = 3: the second has 2 real tokens and one of padding.
    example_states = torch.arange(1.0, 25.0).view(2, 3, 4)
    cases: list[dict[str, object]] = [{"states": example_states, "lengths": torch.tensor([3, 2])}]
    for batch, src_len, hidden in ((4, 6, 8), (3, 5, 6), (5, 9, 4)):
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0] = src_len
        lengths[1] = 1
        cases.append({"states": torch.randn(batch, src_len, hidden, generator=generator),
                      "lengths": lengths})
    half = lambda states: states.shape[-1] // 2  # noqa: E731
    check_function(
        "final_context", learner, _reference_final_context, cases,
        mistakes=[
            Mistake(lambda states, lengths: states[:, -1],
                    "you took the last position of the padded tensor, which is padding for the "
                    "shorter sequences: use each sequence's own last token, lengths - 1"),
            Mistake(lambda states, lengths: states[torch.arange(states.shape[0]), lengths - 1],
                    "the backward half is wrong: the backward GRU reads right to left, so its "
                    "final state sits at position 0, not at the last token"),
            Mistake(lambda states, lengths: states.mean(1),
                    "you averaged every position: the fixed context is the final state of each "
                    "direction (forward at lengths - 1, backward at 0)"),
            Mistake(lambda states, lengths: torch.cat(
                [states[:, 0, :half(states)], states[torch.arange(states.shape[0]), lengths - 1, half(states):]], -1),
                    "the two halves are swapped: the forward direction (first d/2 features) ends "
                    "at the last token, the backward direction (last d/2) at the first"),
        ],
        hint="forward half: states[b, lengths[b] - 1, :d/2]; backward half: states[b, 0, d/2:]",
        quiet=quiet,
    )


# --------------------------------------------------------------------------------------------
# Chapters 02-06: explaining mistakes that change the shape or give NaN, and the checks of
# chapter 02 (which keys are real) and chapter 06 (find the slip in the notes).
# --------------------------------------------------------------------------------------------

__all__ += ["check_key_mask", "check_find_slips", "NOTES_WEIGHTED", "NOTES_CONTEXT"]


def _which_case(case: dict[str, object], cases: Sequence[dict[str, object]]) -> str:
    """'the worked example' or 'random test n', found by value (the inputs are clones)."""
    for number, candidate in enumerate(cases):
        if candidate.keys() == case.keys() and all(
            torch.equal(value, candidate[key]) if isinstance(value, Tensor) else value == candidate[key]
            for key, value in case.items()
        ):
            return "the worked example" if number == 0 else f"test {number}"
    return "a test"


def _shapes(case: dict[str, object]) -> str:
    return ", ".join(f"{key} {tuple(value.shape)}" for key, value in case.items() if isinstance(value, Tensor))


def _matches(got: Tensor, wrong: object, atol: float) -> bool:
    return isinstance(wrong, Tensor) and wrong.shape == got.shape and wrong.dtype == got.dtype and (
        torch.allclose(got, wrong, atol=atol, rtol=1e-4, equal_nan=True))


def _explaining(
    name: str, learner: Callable[..., object], reference: Callable[..., Tensor],
    cases: Sequence[dict[str, object]], mistakes: Sequence[Mistake],
    error_hints: Sequence[tuple[Sequence[str], str]], atol: float,
) -> Callable[..., object]:
    """Wrap ``learner`` so that two failures :func:`check_function` reports generically are named.

    * a result of the wrong shape, or with NaN where the reference has none, that equals one
      of the known ``mistakes`` (check_function names mistakes only for a result of the right
      shape without NaN);
    * an exception whose message contains one of the phrases of ``error_hints``: the hint is
      added to the message (a matrix product of the wrong sizes says "transpose the keys").
    """

    def wrapped(**case: object) -> object:
        originals = {key: _clone(value) for key, value in case.items()}
        try:
            result = learner(**case)
        except (NotImplementedError, ExerciseError):
            raise
        except Exception as error:
            text = str(error)
            for phrases, hint in error_hints:
                if any(phrase in text for phrase in phrases):
                    raise ExerciseError(
                        f"{name} raised {type(error).__name__} on {_which_case(originals, cases)} "
                        f"({_shapes(originals)}): {text.splitlines()[0].rstrip('.') if text else ''}. {hint}"
                    ) from None
            raise
        changed = any(isinstance(value, Tensor) and not torch.equal(value, originals[key])
                      for key, value in case.items())
        if not isinstance(result, Tensor) or changed:
            return result  # check_function says what is wrong
        try:
            expected = reference(**{key: _clone(value) for key, value in originals.items()})
        except Exception:  # noqa: BLE001 - the reference is tested; be safe in front of a learner
            return result
        wrong_shape = result.shape != expected.shape
        # NaN in part of the result (all NaN matches any mistake that is all NaN: say nothing).
        new_nan = result.is_floating_point() and bool(torch.isnan(result).any()) and not bool(
            torch.isnan(result).all()) and not (
            expected.is_floating_point() and bool(torch.isnan(expected).any()))
        if wrong_shape or new_nan:
            for mistake in mistakes:
                try:
                    wrong = mistake.implementation(**{k: _clone(v) for k, v in originals.items()})
                except Exception:  # noqa: BLE001 - a mistake that cannot run cannot match
                    continue
                if _matches(result, wrong, atol):
                    raise ExerciseError(f"{name}: {mistake.message}")
        return result

    return wrapped


def _as_float(function: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def floated(**case: object) -> Tensor:
        return function(**case).float()

    return floated


def _bool_result(name: str, learner: Callable[..., object], meaning: str) -> Callable[..., object]:
    """Require a bool tensor from ``learner``, then hand it on as float (0.0 / 1.0).

    check_function compares values by subtraction, which bool tensors do not support.
    """

    def wrapped(**case: object) -> object:
        result = learner(**case)
        if isinstance(result, Tensor):
            if result.dtype != torch.bool:
                raise ExerciseError(
                    f"{name} should return a bool tensor ({meaning}), but returned dtype "
                    f"{result.dtype}: a comparison such as `<` or torch.isclose gives bools directly"
                )
            return result.float()
        return result

    return wrapped


def _check_explained(
    name: str, learner: Callable[..., object], reference: Callable[..., Tensor],
    cases: Sequence[dict[str, object]], *, mistakes: Sequence[Mistake] = (), hint: str = "",
    error_hints: Sequence[tuple[Sequence[str], str]] = (), boolean: str = "",
    atol: float = 1e-5, quiet: bool = False,
) -> None:
    """:func:`check_function`, plus: known mistakes are named even when they change the shape or
    give NaN; exceptions that match ``error_hints`` get a hint; with ``boolean`` (what True
    means) the result must be a bool tensor."""
    if not callable(learner):
        check_function(name, learner, reference, cases, quiet=quiet)  # "should be a function"
        return
    if boolean:
        learner = _bool_result(name, learner, boolean)
        reference = _as_float(reference)
        mistakes = [Mistake(_as_float(m.implementation), m.message) for m in mistakes]
        hint = hint or f"(1 means True: {boolean})"
    check_function(
        name, _explaining(name, learner, reference, cases, mistakes, error_hints, atol), reference,
        cases, mistakes=mistakes, hint=hint, atol=atol, quiet=quiet,
    )


#: Phrases of PyTorch's errors for a matrix product or a broadcast of mismatched sizes.
_SIZE_ERRORS = ("cannot be multiplied", "batch2 tensor", "must match the size", "does not broadcast",
                "Expected size", "mismatch")


def _reference_key_mask(lengths: Tensor, src_len: int) -> Tensor:
    return torch.arange(src_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def check_key_mask(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 02: ``key_mask(lengths (B,), src_len) -> (B, T)`` bool, True at real tokens."""
    generator = torch.Generator().manual_seed(2)
    # The chapter's batch: "나는 오늘" (2 tokens), "네" (1), "나는 오늘 학교에 간다" (4).
    cases: list[dict[str, object]] = [{"lengths": torch.tensor([2, 1, 4]), "src_len": 4}]
    for batch, src_len in ((4, 6), (3, 9), (6, 5), (2, 7)):
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0] = src_len  # the longest sequence sets the padded length
        lengths[1] = min(lengths[1], src_len - 1)  # and at least one sequence is padded
        cases.append({"lengths": lengths, "src_len": src_len})
    _check_explained(
        "key_mask", learner, _reference_key_mask, cases,
        mistakes=[
            Mistake(lambda lengths, src_len: _reference_key_mask(lengths, src_len).T,
                    "your mask is laid out (T, B), one row per position; the keys are (B, T, d), so "
                    "the mask is (B, T): one row per sequence (compare a (1, T) row of positions "
                    "with a (B, 1) column of lengths)"),
            Mistake(lambda lengths, src_len: ~_reference_key_mask(lengths, src_len),
                    "your mask is True at the padding; the course's masks are True at the real "
                    "tokens (as in scaled_dot_product_attention) and False at padding"),
            Mistake(lambda lengths, src_len: torch.arange(src_len).unsqueeze(0) <= lengths.unsqueeze(1),
                    "one position too many is marked real: positions count from 0, so a sequence "
                    "of length n has real tokens at 0 .. n - 1 (use <, not <=)"),
            Mistake(lambda lengths, src_len: torch.arange(src_len) < lengths,
                    "you compared positions and lengths element by element: compare a (1, T) row "
                    "of positions, torch.arange(src_len).unsqueeze(0), with a (B, 1) column of "
                    "lengths, lengths.unsqueeze(1); broadcasting gives (B, T)"),
            Mistake(lambda lengths, src_len: torch.ones(len(lengths), src_len, dtype=torch.bool),
                    "every key is marked real: position t of sequence b is padding when "
                    "t >= lengths[b]"),
            Mistake(lambda lengths, src_len: torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1) - 1,
                    "the last real token is marked as padding: a sequence of length n has real "
                    "tokens at positions 0 .. n - 1 (use t < n)"),
        ],
        error_hints=[(_SIZE_ERRORS, "compare a (1, T) row of positions, torch.arange(src_len)"
                      ".unsqueeze(0), with a (B, 1) column of lengths: broadcasting gives (B, T)")],
        boolean="True at a real token, False at padding",
        quiet=quiet,
    )


#: The notes' slip (chapter 06): the third entry of 0.2 * [1, 2, 9] written as 0.9, not 1.8,
#: and so the context's third entry as 0.9 + 0.8 = 1.7, not 2.6.
NOTES_WEIGHTED = torch.tensor([[[0.2, 0.4, 0.9], [7.2, 0.8, 0.8]]])  # (1, 2, 3), as written
NOTES_CONTEXT = torch.tensor([[7.4, 1.2, 1.7]])  # (1, 3), as written


def _reference_find_slips(weights: Tensor, keys: Tensor, claimed: Tensor) -> Tensor:
    context = attention.context_vector(attention.weighted_values(weights, keys))
    return ~torch.isclose(context, claimed)


def _slip_cases(seed: int = 6) -> list[dict[str, Tensor]]:
    """Hand-sized numbers, as in notes: integer keys, weights in tenths, claims to 2 decimals,
    some entries wrong by 0.1 to 3 (a slip of the pen); the rest right but written as decimals,
    which float32 rounds differently from the computed context (so `==` fails)."""
    example = {"weights": EXAMPLE_WEIGHTS, "keys": EXAMPLE_KEYS, "claimed": NOTES_CONTEXT}
    corrected = {"weights": EXAMPLE_WEIGHTS, "keys": EXAMPLE_KEYS,
                 "claimed": torch.tensor([[7.4, 1.2, 2.6]])}
    generator = torch.Generator().manual_seed(seed)
    cases = [example, corrected]
    for batch, src_len, hidden in ((3, 2, 3), (4, 3, 4), (2, 5, 3), (5, 4, 6)):
        tenths = torch.rand(batch, src_len, generator=generator).add(0.2)
        tenths = (10 * tenths / tenths.sum(-1, keepdim=True)).round()
        tenths[:, -1] = 10 - tenths[:, :-1].sum(-1)  # exact tenths that sum to 1
        weights = (tenths / 10).float()
        keys = torch.randint(0, 10, (batch, src_len, hidden), generator=generator).float()
        exact = (tenths.double().unsqueeze(-1) * keys.double()).sum(1) / 10  # (B, d), in decimals
        slips = torch.rand(batch, hidden, generator=generator) < 0.3
        slips[0, 0] = True
        offsets = torch.randint(1, 31, (batch, hidden), generator=generator).double() / 10
        claimed = (exact + slips * offsets).round(decimals=2).float()
        cases.append({"weights": weights, "keys": keys, "claimed": claimed})
    return cases


def check_find_slips(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 06: ``find_slips(weights (B, T), keys (B, T, d), claimed (B, d)) -> (B, d)`` bool,
    True where a claimed context entry is not the weighted sum of the keys."""

    def context(weights: Tensor, keys: Tensor) -> Tensor:
        return attention.context_vector(attention.weighted_values(weights, keys))

    _check_explained(
        "find_slips", learner, _reference_find_slips, _slip_cases(),
        mistakes=[
            Mistake(lambda weights, keys, claimed: context(weights, keys) != claimed,
                    "you compared floats exactly (== or !=): in float32, 0.2 * 9 + 0.8 * 1 is not "
                    "exactly the number written 2.6, so a right entry looks wrong. Compare with "
                    "torch.isclose(computed, claimed)"),
            Mistake(lambda weights, keys, claimed: torch.isclose(context(weights, keys), claimed),
                    "True marks the entries that are right; find_slips should be True where the "
                    "claim is wrong (negate with ~)"),
            Mistake(lambda weights, keys, claimed: ~torch.isclose(keys.mean(1), claimed),
                    "you compared with the plain average of the keys: the context is their "
                    "*weighted* sum, sum_t weights[:, t] * keys[:, t]"),
            Mistake(lambda weights, keys, claimed: ~torch.isclose(
                        context(weights, keys).sum(-1, keepdim=True), claimed.sum(-1, keepdim=True)),
                    "you compared sums of the entries: a slip in one entry must mark that entry, "
                    "so compare entry by entry, shape (B, d)"),
        ],
        error_hints=[(_SIZE_ERRORS, "weights (B, T) scale the keys (B, T, d) along T: "
                      "weights.unsqueeze(-1) * keys, then sum over dim 1 to get (B, d) like claimed")],
        boolean="True where the claimed entry is wrong",
        quiet=quiet,
    )


# --------------------------------------------------------------------------------------------
# Chapter 08: the scaled dot product and the additive (Bahdanau) score.
# --------------------------------------------------------------------------------------------

__all__ += ["check_scaled_dot_product_scores", "check_additive_scores"]

#: Chapter 08's worked example: d = 4 (so sqrt(d) = 2) and T = 3 keys (so sqrt(T) is not 2).
#: Dot scores [4, 2, 8]; scaled by 1/sqrt(4): [2, 1, 4].
EXAMPLE_08_QUERY = torch.tensor([[1.0, 0.0, 2.0, 1.0]])  # (1, 4)
EXAMPLE_08_KEYS = torch.tensor([[[2.0, 1.0, 0.0, 2.0],
                                 [0.0, 3.0, 1.0, 0.0],
                                 [1.0, 1.0, 3.0, 1.0]]])  # (1, 3, 4)

#: Phrases of PyTorch's errors for a matrix product of mismatched sizes.
_MATMUL_SIZE_ERRORS = ("cannot be multiplied", "batch2 tensor", "must match the size", "Expected size")


def _hint_on_size_error(name: str, learner: Callable[..., object], hint: str) -> Callable[..., object]:
    """``learner``, with ``hint`` added when it fails with a matrix-size error."""

    def wrapped(**case: object) -> object:
        try:
            return learner(**case)
        except (NotImplementedError, ExerciseError):
            raise
        except RuntimeError as error:
            text = str(error).splitlines()[0] if str(error) else ""
            if any(phrase in text for phrase in _MATMUL_SIZE_ERRORS):
                shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in case.items() if isinstance(v, Tensor))
                raise ExerciseError(f"{name} raised RuntimeError ({shapes}): {text.rstrip('.')}. {hint}") from None
            raise

    return wrapped


def _reference_scaled_scores(query: Tensor, keys: Tensor) -> Tensor:
    return attention.ScaledDotScore()(query, keys)


def check_scaled_dot_product_scores(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 08: ``scaled_dot_product_scores(query (B, d), keys (B, T, d)) -> (B, T)``."""
    example = {"query": EXAMPLE_08_QUERY, "keys": EXAMPLE_08_KEYS}
    dot = attention.dot_product_scores
    check_function(
        "scaled_dot_product_scores",
        _hint_on_size_error("scaled_dot_product_scores", learner,
                            "A query (B, 1, d) meets the keys as (B, d, T): transpose the keys "
                            "with keys.transpose(1, 2) before the matrix product"),
        _reference_scaled_scores,
        _cases(("query", "keys"), example, seed=8),
        mistakes=[
            Mistake(lambda query, keys: dot(query, keys),
                    "your scores are not scaled: divide the dot products by sqrt(d), the square "
                    "root of the hidden size d = keys.shape[-1]"),
            Mistake(lambda query, keys: dot(query, keys) / keys.shape[-1],
                    "you divided by d; divide by its square root, math.sqrt(d): the standard "
                    "deviation of a dot product grows like sqrt(d), not like d"),
            Mistake(lambda query, keys: dot(query, keys) / math.sqrt(keys.shape[1]),
                    "you divided by the square root of the number of keys T = keys.shape[1]; d is "
                    "the hidden size, the last axis: keys.shape[-1]"),
            Mistake(lambda query, keys: dot(query, keys) / keys.shape[1],
                    "you divided by the number of keys T = keys.shape[1]; divide by sqrt(d), the "
                    "square root of the hidden size keys.shape[-1]"),
            Mistake(lambda query, keys: dot(query, keys) * math.sqrt(keys.shape[-1]),
                    "you multiplied by sqrt(d): divide by it, so that the scores shrink back to a "
                    "standard deviation near 1"),
            Mistake(lambda query, keys: torch.softmax(_reference_scaled_scores(query, keys), -1),
                    "you returned softmax weights: this function stops at the scaled scores (the "
                    "softmax comes after it)"),
        ],
        hint="each score is (query[b] * keys[b, t]).sum() / math.sqrt(d), with d = keys.shape[-1]",
        quiet=quiet,
    )


def _reference_additive_scores(query: Tensor, keys: Tensor, W_q: Tensor, W_k: Tensor, v: Tensor) -> Tensor:  # noqa: N803
    module = attention.AdditiveScore(query.shape[-1], keys.shape[-1], v.shape[0]).to(query)
    with torch.no_grad():
        module.query_proj.weight.copy_(W_q)
        module.key_proj.weight.copy_(W_k)
        module.v.weight.copy_(v.unsqueeze(0))
        return module(query, keys)


def _additive_parts(query: Tensor, keys: Tensor, W_q: Tensor, W_k: Tensor) -> tuple[Tensor, Tensor]:  # noqa: N803
    return (query @ W_q.T).unsqueeze(1), keys @ W_k.T  # (B, 1, a), (B, T, a)


def _additive_cases(seed: int) -> list[dict[str, Tensor]]:
    """The worked example (d_q = 2, d_k = 3, a = 2, T = 3), then random sizes with d_q != d_k."""
    example = {
        "query": torch.tensor([[1.0, -1.0]]),                                    # (1, 2)
        "keys": torch.tensor([[[0.5, 0.0, 1.0], [0.0, 1.0, -0.5], [1.0, 1.0, 0.0]]]),  # (1, 3, 3)
        "W_q": torch.tensor([[1.0, 0.0], [0.5, -1.0]]),                          # (2, 2)
        "W_k": torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, -1.0]]),                # (2, 3)
        "v": torch.tensor([1.0, -2.0]),                                          # (2,)
    }
    generator = torch.Generator().manual_seed(seed)
    cases = [example]
    for batch, src_len, query_size, key_size, attention_size in (
        (2, 5, 3, 4, 6), (4, 3, 5, 2, 3), (3, 7, 4, 6, 5), (5, 4, 2, 3, 4),
    ):
        cases.append({
            "query": torch.randn(batch, query_size, generator=generator),
            "keys": torch.randn(batch, src_len, key_size, generator=generator),
            "W_q": torch.randn(attention_size, query_size, generator=generator) / math.sqrt(query_size),
            "W_k": torch.randn(attention_size, key_size, generator=generator) / math.sqrt(key_size),
            "v": torch.randn(attention_size, generator=generator),
        })
    return cases


def check_additive_scores(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 08: ``additive_scores(query (B, d_q), keys (B, T, d_k), W_q (a, d_q), W_k (a, d_k),
    v (a,)) -> (B, T)``, the score ``v · tanh(W_q q + W_k k)``."""

    def no_tanh(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return (q + k) @ v

    def tanh_last(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return torch.tanh((q + k) @ v)

    def no_v(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return torch.tanh(q + k).sum(-1)

    def multiplied(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return (q * k).sum(-1)

    def multiplied_tanh(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return torch.tanh(q * k) @ v

    check_function(
        "additive_scores",
        _hint_on_size_error("additive_scores", learner,
                            "W_q is (a, d_q) and W_k is (a, d_k): project with query @ W_q.T and "
                            "keys @ W_k.T (or torch.nn.functional.linear)"),
        _reference_additive_scores,
        _additive_cases(seed=9),
        mistakes=[
            Mistake(no_tanh, "the tanh is missing: without it the score is linear, v·W_q q + v·W_k "
                    "k, and the query's part is the same for every key (it cancels in the softmax); "
                    "apply torch.tanh to W_q q + W_k k"),
            Mistake(tanh_last, "you applied tanh after the dot product with v: apply it to "
                    "W_q q + W_k k (an a-vector for each key), then take the dot product with v"),
            Mistake(no_v, "you summed the hidden layer tanh(W_q q + W_k k) instead of taking its "
                    "dot product with v: multiply by v before summing over the last axis"),
            Mistake(multiplied, "you multiplied the projected query and key (a dot product of "
                    "projections); the additive score *adds* them: v · tanh(W_q q + W_k k)"),
            Mistake(multiplied_tanh, "you multiplied the projected query and key inside the "
                    "tanh; the additive score *adds* them: v · tanh(W_q q + W_k k)"),
        ],
        hint="project with query @ W_q.T (B, a) and keys @ W_k.T (B, T, a), add them with the "
             "query unsqueezed to (B, 1, a), take torch.tanh, then @ v",
        quiet=quiet,
    )


# --------------------------------------------------------------------------------------------
# Chapter 09: the length-normalised score of beam search (GNMT's length penalty).
# --------------------------------------------------------------------------------------------

__all__ += ["check_gnmt_score"]


def _gnmt_cases(seed: int) -> list[dict[str, object]]:
    """The worked example (log-probabilities of outputs of 1, 3 and 7 tokens, alpha 0.6), then
    random batches with alpha in (0, 2) but never 1 (where forgetting alpha changes nothing)."""
    example = {"log_prob": torch.tensor([-2.0, -3.0, -6.0]), "length": torch.tensor([1, 3, 7]), "alpha": 0.6}
    generator = torch.Generator().manual_seed(seed)
    cases: list[dict[str, object]] = [example]
    for alpha in (0.3, 0.7, 1.5, 1.9, 0.5):
        batch = int(torch.randint(2, 9, (1,), generator=generator))
        cases.append({"log_prob": -12 * torch.rand(batch, generator=generator),
                      "length": torch.randint(1, 30, (batch,), generator=generator), "alpha": alpha})
    return cases


def check_gnmt_score(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 09: ``gnmt_score(log_prob (B,), length (B,) int64, alpha) -> (B,)``,
    ``log_prob / ((5 + length) / 6) ** alpha``."""
    from .decoding import length_penalty_factor

    def reference(log_prob: Tensor, length: Tensor, alpha: float) -> Tensor:
        return log_prob / length_penalty_factor(length, alpha, "gnmt")

    check_function(
        "gnmt_score", learner, reference, _gnmt_cases(seed=9),
        mistakes=[
            Mistake(lambda log_prob, length, alpha: log_prob / length ** alpha,
                    "you divided by length ** alpha, the plain length normalisation; GNMT's "
                    "penalty is ((5 + length) / 6) ** alpha, gentler on short outputs"),
            Mistake(lambda log_prob, length, alpha: log_prob * ((5 + length) / 6) ** alpha,
                    "you multiplied by the penalty: divide log_prob by ((5 + length) / 6) ** alpha "
                    "(a log-probability is negative, so multiplying punishes long outputs more)"),
            Mistake(lambda log_prob, length, alpha: log_prob / ((5 + length) / 6),
                    "alpha is missing: raise (5 + length) / 6 to the power alpha"),
            Mistake(lambda log_prob, length, alpha: log_prob / ((5 + length) / 6 ** alpha),
                    "operator precedence: 6 ** alpha is computed before the division, so only 6 is "
                    "raised to alpha; write ((5 + length) / 6) ** alpha"),
            Mistake(lambda log_prob, length, alpha: log_prob / ((5 + length - 1) / 6) ** alpha,
                    "your length is one short: |Y| counts every output token, <eos> included"),
        ],
        hint="score = log_prob / ((5 + length) / 6) ** alpha, element by element",
        quiet=quiet,
    )


# --------------------------------------------------------------------------------------------
# Show ExerciseError as its message alone in IPython.
# --------------------------------------------------------------------------------------------


def _install_ipython_handler() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def show_message_only(shell, etype, value, tb, tb_offset=None):  # noqa: ANN001
        shell._showtraceback(etype, value, [f"✗ {value}"])

    shell.set_custom_exc((ExerciseError,), show_message_only)


_install_ipython_handler()
