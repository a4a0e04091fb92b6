"""A new checked exercise for issue 12, item 4, to be folded into the checks package.

Chapter 07, ``ex-07-bahdanau-step`` (replacing ``ex-07-bidirectional``, a near-duplicate of
``ex-02-one-direction``): one step of Bahdanau's decoder, where the *previous* decoder state is
the query and the context is fed *into* the GRU, the wiring that forces a Python loop in
training (chapter 07, "Many ways to use attention"). Built on :func:`lib.checks.check_function`
and :class:`lib.checks.Mistake`; every mistake below is proven to be named in
``tests/test_checks_extra.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from . import attention
from .checks import Mistake, check_function

__all__ = ["reference_bahdanau_step", "bahdanau_step_cases", "check_bahdanau_step"]


def reference_bahdanau_step(embedded: Tensor, previous: Tensor, keys: Tensor, mask: Tensor,
                            cell: nn.GRUCell) -> Tensor:
    """``embedded (B, e)``, ``previous (B, d)``, ``keys (B, T, d)``, ``mask (B, T)`` -> new state ``(B, d)``.

    The previous state is the query; the context joins the embedding as the GRU's input.
    """
    context, _ = attention.attend(previous, keys, mask=mask)  # (B, d): steps 2-5, the previous state as query
    return cell(torch.cat([embedded, context], dim=-1), previous)  # (B, e + d) -> (B, d)


def _cell(embed_size: int, hidden_size: int, seed: int) -> nn.GRUCell:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.GRUCell(embed_size + hidden_size, hidden_size)


def bahdanau_step_cases() -> list[dict[str, object]]:
    """The worked example (the notes' keys, chapter 3's query as the previous state), then
    three random padded batches with the embedding size ``e`` different from ``d``."""
    example = {
        "embedded": torch.tensor([[0.5, -1.0]]),  # (B, e) = (1, 2)
        "previous": torch.tensor([[1.0, 0.0, 0.5]]),  # (B, d) = (1, 3)
        "keys": torch.tensor([[[1.0, 2.0, 9.0], [9.0, 1.0, 1.0]]]),  # (B, T, d) = (1, 2, 3): 나는, 오늘
        "mask": torch.ones(1, 2, dtype=torch.bool),
        "cell": _cell(2, 3, seed=0),
    }
    cases = [example]
    generator = torch.Generator().manual_seed(12)
    for number, (batch, src_len, embed, hidden) in enumerate(((3, 5, 3, 4), (2, 4, 6, 5), (4, 6, 2, 3))):
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0] = src_len  # one full row, the others padded
        lengths[-1] = 1
        cases.append({
            "embedded": torch.randn(batch, embed, generator=generator),
            "previous": torch.tanh(torch.randn(batch, hidden, generator=generator)),
            "keys": torch.randn(batch, src_len, hidden, generator=generator),
            "mask": torch.arange(src_len) < lengths.unsqueeze(1),
            "cell": _cell(embed, hidden, seed=number + 1),
        })
    return cases


def _masked_mean(keys: Tensor, mask: Tensor) -> Tensor:
    weights = mask.float() / mask.sum(-1, keepdim=True)  # (B, T): uniform over the real keys
    return torch.bmm(weights.unsqueeze(1), keys).squeeze(1)


MISTAKES = [
    Mistake(lambda embedded, previous, keys, mask, cell:
            cell(torch.cat([embedded, attention.attend(previous, keys)[0]], -1), previous),
            "padding leaks into the context: pass the mask to the attention (True at real keys)"),
    Mistake(lambda embedded, previous, keys, mask, cell:
            cell(torch.cat([attention.attend(previous, keys, mask=mask)[0], embedded], -1), previous),
            "you fed [context; embedded] to the GRU: its input is [embedded; context], the embedding first"),
    Mistake(lambda embedded, previous, keys, mask, cell:
            cell(torch.cat([embedded, _masked_mean(keys, mask)], -1), previous),
            "you averaged the keys, one fixed summary for every step: score them with the previous "
            "state as the query and take the softmax-weighted sum"),
    Mistake(lambda embedded, previous, keys, mask, cell: attention.attend(previous, keys, mask=mask)[0],
            "you returned the context vector: feed it into the GRU cell and return the cell's new state"),
    Mistake(lambda embedded, previous, keys, mask, cell: cell(torch.cat([embedded, previous], -1), previous),
            "you fed the previous state where the context goes: attend first (query = previous "
            "state), then feed [embedded; context]"),
    Mistake(lambda embedded, previous, keys, mask, cell:
            cell(torch.cat([embedded, attention.attend(previous, keys, mask=mask)[0]], -1)),
            "the GRU cell started from zeros: pass the previous state as its second argument, "
            "cell(inputs, previous)"),
]


def check_bahdanau_step(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 07: ``bahdanau_step(embedded (B, e), previous (B, d), keys (B, T, d), mask (B, T),
    cell) -> (B, d)``, against :func:`reference_bahdanau_step`."""
    check_function(
        "bahdanau_step", learner, reference_bahdanau_step, bahdanau_step_cases(), mistakes=MISTAKES,
        hint="attend over the keys with the previous state as the query (dot product, mask, "
             "softmax, weighted sum), then return cell(torch.cat([embedded, context], -1), previous)",
        quiet=quiet,
    )
