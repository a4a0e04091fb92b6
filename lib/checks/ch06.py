"""Chapter 06's checks: the context vector, and finding the slip in the notes."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import EXAMPLE_KEYS, EXAMPLE_WEIGHTS, cases_with
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_context_vector", "check_find_slips", "NOTES_WEIGHTED", "NOTES_CONTEXT"]


def check_context_vector(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 06: ``context(weights (B, T), values (B, T, d)) -> (B, d)``."""
    example = {"weights": EXAMPLE_WEIGHTS, "values": EXAMPLE_KEYS}
    cases = cases_with(example, seed=6, values="keys")

    def reference(weights: Tensor, values: Tensor) -> Tensor:
        return attention.context_vector(attention.weighted_values(weights, values))

    check_function(
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
        error_hints=[(SIZE_ERRORS, "weights (B, T) must line up with the T axis of values (B, T, d): "
                      "weights.unsqueeze(-1) * values, or (B, 1, T) @ (B, T, d) with torch.bmm")],
        rules=Rules(answers=(attention,), answers_hint="weight and sum with one matrix product or broadcasting "
                    "and .sum",
                    no_loop="(B, 1, T) @ (B, T, d) with torch.bmm sums every row's weighted values at once"),
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
    which float32 rounds differently from the computed context (so `==` fails). Two cases are
    on the edge: slips of exactly 0.1 (which a tolerance of 0.1 or rounding lets through) and
    weights in hundredths, whose right claims such as 1.85 float32 cannot hold exactly (so
    rounding to one decimal may flag them), with slips of exactly 0.01."""
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
    return cases[:3] + _edge_slip_cases(seed + 54) + cases[3:]


def _edge_slip_cases(seed: int) -> list[dict[str, Tensor]]:
    """Slips of exactly 0.1 (every other entry, up and down), then right two-decimal claims
    (weights in hundredths) with slips of exactly 0.01 in the last entry of each row."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for parts, scale, hidden, slip in (([[1, 2, 7], [3, 3, 4], [5, 1, 4], [2, 6, 2]], 10, 5, 0.1),
                                       ([[15, 85], [35, 65], [45, 55], [5, 95]], 100, 4, 0.01)):
        shares = torch.tensor(parts, dtype=torch.float64)  # (B, T), summing to `scale`
        keys = torch.randint(1, 10, (*shares.shape, hidden), generator=generator).float()
        exact = (shares.unsqueeze(-1) * keys.double()).sum(1) / scale  # (B, d), in decimals
        offsets = torch.zeros_like(exact)
        if scale == 10:
            offsets[:, ::2] = slip
            offsets[1::2] *= -1
        else:
            offsets[:, -1] = slip
        cases.append({"weights": (shares / scale).float(), "keys": keys,
                      "claimed": (exact + offsets).float()})
    return cases


def check_find_slips(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 06: ``find_slips(weights (B, T), keys (B, T, d), claimed (B, d)) -> (B, d)`` bool,
    True where a claimed context entry is not the weighted sum of the keys."""

    def context(weights: Tensor, keys: Tensor) -> Tensor:
        return attention.context_vector(attention.weighted_values(weights, keys))

    check_function(
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
            *(Mistake(loose, "your tolerance is too loose: it lets a slip of exactly 0.1 (or 0.01 in a "
                      "two-decimal claim) through; keep torch.isclose's default tolerances, which "
                      "forgive only float32 rounding")
              for loose in (lambda weights, keys, claimed: (context(weights, keys) - claimed).abs() > 0.1,
                            lambda weights, keys, claimed: ~torch.isclose(context(weights, keys), claimed,
                                                                          atol=0.1))),
            Mistake(lambda weights, keys, claimed: context(weights, keys).round() != claimed.round(),
                    "you rounded to whole numbers, so a slip of 0.1 disappears: compare with "
                    "torch.isclose(computed, claimed) instead of rounding"),
            Mistake(lambda weights, keys, claimed:
                    context(weights, keys).round(decimals=1) != claimed.round(decimals=1),
                    "you rounded to one decimal: a right claim such as 1.85 can round the other "
                    "way from the computed 1.8499999, and a slip of 0.01 disappears; compare with "
                    "torch.isclose(computed, claimed) instead of rounding"),
        ],
        hint="a slip can be as small as 0.01, and a right claim differs from the computed "
             "context only by float32 rounding: torch.isclose with its default tolerances tells them apart",
        error_hints=[(SIZE_ERRORS, "weights (B, T) scale the keys (B, T, d) along T: "
                      "weights.unsqueeze(-1) * keys, then sum over dim 1 to get (B, d) like claimed")],
        boolean="True where the claimed entry is wrong",
        rules=Rules(answers=(attention,), answers_hint="compute the weighted sum of the keys yourself, then "
                    "compare it with the claim"),
        quiet=quiet,
    )
