"""Chapter 07's checks: ``attend``, steps 2-5 in one function; one step of Bahdanau's wiring; one step of
Luong's decoder with input feeding; and, for the page after it (the notes' sentence, learned),
``word_shares``: a syllable map read word by word."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .. import attention
from .cases import EXAMPLE_KEYS, EXAMPLE_QUERY, cases_with
from .engine import SIZE_ERRORS, ExerciseError, Mistake, Rules, check_function, describe

__all__ = ["check_attend", "check_bahdanau_step", "check_luong_step", "reference_bahdanau_step", "bahdanau_step_cases",
           "reference_luong_step", "luong_step_cases", "check_word_shares", "reference_word_shares",
           "word_shares_cases"]


def _many_query_cases(seed: int = 17) -> list[dict[str, Tensor]]:
    """Random padded batches with L queries at once, ``query (B, L, d)``; the first has L == B, where
    a mask (B, T) not lined up as (B, 1, T) broadcasts without an error, along the wrong axis."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for batch, queries, src_len, hidden in ((3, 3, 5, 4), (2, 3, 4, 3), (4, 1, 3, 2)):
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0], lengths[-1] = src_len, 1  # one full row, one of a single token
        cases.append({"query": torch.randn(batch, queries, hidden, generator=generator),
                      "keys": torch.randn(batch, src_len, hidden, generator=generator),
                      "mask": torch.arange(src_len) < lengths.unsqueeze(1)})
    return cases


def _mask_along_queries(query: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """(B, L, d) queries with the mask (B, T) broadcast as (1, B, T): row l gets sequence l's mask."""
    scores = torch.bmm(query, keys.transpose(1, 2)).masked_fill(~mask, float("-inf"))  # needs L == B
    weights = torch.softmax(scores, -1)
    return torch.bmm(weights, keys), weights


def check_attend(learner: Callable[..., tuple[Tensor, Tensor]], *, quiet: bool = False) -> None:
    """Chapter 07: ``attend(query (B, d) or (B, L, d), keys (B, T, d), mask (B, T))
    -> (context (B, d) or (B, L, d), weights (B, T) or (B, L, T))``.

    The contract of :func:`lib.attention.attend`. The learner's function returns
    ``(context, weights)``; both are checked.
    """
    if not callable(learner):
        raise ExerciseError(f"attend should be a function, but it is {describe(learner)}")
    example = {"query": EXAMPLE_QUERY, "keys": EXAMPLE_KEYS, "mask": torch.ones(1, 2, dtype=torch.bool)}
    cases = cases_with(example, seed=7) + _many_query_cases()
    for part, index in (("context", 0), ("weights", 1)):
        check_function(
            f"attend (its {part})",
            _part(learner, index, "attend"),
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
                Mistake(lambda query, keys, mask, index=index: _mask_along_queries(query, keys, mask)[index],
                        "with L queries, query (B, L, d), your mask (B, T) broadcast along the queries: "
                        "line it up with the scores (B, L, T) as mask.unsqueeze(1), (B, 1, T)"),
            ],
            error_hints=[(SIZE_ERRORS + ("3D", "3-dimensional", "dimension"),
                          "the query may be (B, d) or (B, L, d), L queries at once: scores "
                          "query @ keys.transpose(1, 2) are (B, L, T), the mask lines up as "
                          "mask.unsqueeze(1), and a (B, d) query is the case L = 1 (unsqueeze(1), "
                          "then squeeze(1))")],
            rules=Rules(answers=(attention,), answers_hint="the exercise asks for steps 2 to 5 in torch "
                        "operations: scores with bmm, the mask with masked_fill, torch.softmax, one more bmm"),
            quiet=True,
        )
    if not quiet:
        print(f"✓ attend is correct: context and weights match the reference on the worked "
              f"example and {len(cases) - 1} random tests.")


def _part(learner: Callable[..., object], index: int, name: str,
          pair: str = "(context, weights)") -> Callable[..., object]:
    """Result number ``index`` of ``learner``, as a function the engine can call and can ask whether
    it runs elsewhere (the grader's stand-in)."""
    def part(**case: object) -> object:
        return _pick(learner(**case), index, name, pair)

    part.runs_elsewhere = getattr(learner, "runs_elsewhere", False)  # type: ignore[attr-defined]
    if part.runs_elsewhere:  # type: ignore[attr-defined]
        part.watching = learner.watching  # type: ignore[attr-defined]  # traced where it runs
    return part


def _pick(result: object, index: int, name: str, pair: str = "(context, weights)") -> object:
    if not isinstance(result, tuple) or len(result) != 2:
        raise ExerciseError(f"{name} should return a pair {pair}, got {describe(result)}")
    return result[index]


def reference_bahdanau_step(embedded: Tensor, previous: Tensor, keys: Tensor, mask: Tensor,
                            cell: nn.GRUCell) -> Tensor:
    """``embedded (B, e)``, ``previous (B, d)``, ``keys (B, T, d)``, ``mask (B, T)`` -> new state ``(B, d)``.

    Bahdanau's wiring: the previous state is the query, and the context joins the embedding as
    the GRU's input (chapter 07, "Many ways to use attention").
    """
    context, _ = attention.attend(previous, keys, mask=mask)  # (B, d): steps 2-5, previous state as query
    return cell(torch.cat([embedded, context], dim=-1), previous)  # (B, e + d) -> (B, d)


def _cell(embed_size: int, hidden_size: int, seed: int) -> nn.GRUCell:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.GRUCell(embed_size + hidden_size, hidden_size)


def bahdanau_step_cases() -> list[dict[str, object]]:
    """The worked example (the running example's keys, its query as the previous state), then
    three random padded batches whose embedding size ``e`` differs from ``d``."""
    example = {"embedded": torch.tensor([[0.5, -1.0]]),  # (B, e) = (1, 2)
               "previous": EXAMPLE_QUERY, "keys": EXAMPLE_KEYS,  # (1, 3), (1, 2, 3): 나는, 오늘
               "mask": torch.ones(1, 2, dtype=torch.bool), "cell": _cell(2, 3, seed=0)}
    cases: list[dict[str, object]] = [example]
    generator = torch.Generator().manual_seed(12)
    for number, (batch, src_len, embed, hidden) in enumerate(((3, 5, 3, 4), (2, 4, 6, 5), (4, 6, 2, 3))):
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0], lengths[-1] = src_len, 1  # one full row, one of a single token
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


def _context(previous: Tensor, keys: Tensor, mask: Tensor | None = None) -> Tensor:
    return attention.attend(previous, keys, mask=mask)[0]


def check_bahdanau_step(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 07: ``bahdanau_step(embedded (B, e), previous (B, d), keys (B, T, d), mask (B, T),
    cell) -> (B, d)``, the new state: the previous state is the query, the context goes into the GRU.

    The reference is :func:`reference_bahdanau_step`.
    """
    check_function(
        "bahdanau_step", learner, reference_bahdanau_step, bahdanau_step_cases(),
        mistakes=[
            Mistake(lambda embedded, previous, keys, mask, cell:
                    cell(torch.cat([embedded, _context(previous, keys)], -1), previous),
                    "padding leaks into the context: pass the mask to the attention (True at real keys)"),
            Mistake(lambda embedded, previous, keys, mask, cell:
                    cell(torch.cat([_context(previous, keys, mask), embedded], -1), previous),
                    "you fed [context; embedded] to the GRU: its input is [embedded; context], the "
                    "embedding first"),
            Mistake(lambda embedded, previous, keys, mask, cell:
                    cell(torch.cat([embedded, _masked_mean(keys, mask)], -1), previous),
                    "you averaged the keys, one fixed summary for every step: score them with the "
                    "previous state as the query and take the softmax-weighted sum"),
            Mistake(lambda embedded, previous, keys, mask, cell: _context(previous, keys, mask),
                    "you returned the context vector: feed it into the GRU cell and return the "
                    "cell's new state"),
            Mistake(lambda embedded, previous, keys, mask, cell: cell(torch.cat([embedded, previous], -1), previous),
                    "you fed the previous state where the context goes: attend first (query = "
                    "previous state), then feed [embedded; context]"),
            Mistake(lambda embedded, previous, keys, mask, cell:
                    cell(torch.cat([embedded, _context(previous, keys, mask)], -1)),
                    "the GRU cell started from zeros: pass the previous state as its second "
                    "argument, cell(inputs, previous)"),
        ],
        hint="attend over the keys with the previous state as the query (dot product, mask, "
             "softmax, weighted sum), then return cell(torch.cat([embedded, context], -1), previous)",
        error_hints=[(SIZE_ERRORS, "the GRU cell takes [embedded; context], shape (B, e + d), and "
                      "the previous state (B, d): concatenate on the last axis, torch.cat([...], -1)")],
        rules=Rules(answers=(reference_bahdanau_step,), answers_hint="call attend, then the cell, yourself"),
        quiet=quiet,
    )


def reference_luong_step(embedded: Tensor, previous: Tensor, previous_attentional: Tensor, keys: Tensor,
                         mask: Tensor, cell: nn.GRUCell, W_c: Tensor) -> tuple[Tensor, Tensor]:  # noqa: N803
    """One step of Luong et al.'s decoder with input feeding (their §3.3), the dot score.

    ``embedded (B, e)``, ``previous (B, d)`` = h_{l-1}, ``previous_attentional (B, d)`` = h~_{l-1},
    ``keys (B, T, d)``, ``mask (B, T)``, ``cell`` a ``GRUCell(e + d, d)``, ``W_c (d, 2d)``
    -> ``(state h_l (B, d), attentional h~_l (B, d))``.
    """
    state = cell(torch.cat([embedded, previous_attentional], dim=-1), previous)  # input feeding
    context, _ = attention.attend(state, keys, mask=mask)  # the new state is the query
    return state, torch.tanh(torch.cat([context, state], dim=-1) @ W_c.T)  # step 6


def luong_step_cases() -> list[dict[str, object]]:
    """Bahdanau's cases (the cell takes e + d inputs in both), with h~_{l-1} and W_c added."""
    generator = torch.Generator().manual_seed(13)
    cases = []
    for case in bahdanau_step_cases():
        batch, hidden = case["previous"].shape  # type: ignore[union-attr]
        cases.append({**case, "previous_attentional": torch.tanh(torch.randn(batch, hidden, generator=generator)),
                      "W_c": torch.randn(hidden, 2 * hidden, generator=generator) / (2 * hidden) ** 0.5})
    return cases


def _luong(embedded, previous, previous_attentional, keys, mask, cell, W_c, *, fed=None, query=None,  # noqa: N803
           use_mask=True, state_first=False, squash=True, fed_first=False):
    fed = previous_attentional if fed is None else fed
    state = cell(torch.cat([fed, embedded] if fed_first else [embedded, fed], -1), previous)
    context, _ = attention.attend(state if query is None else query, keys, mask=mask if use_mask else None)
    joined = torch.cat([state, context] if state_first else [context, state], -1) @ W_c.T
    return state, torch.tanh(joined) if squash else joined


def check_luong_step(learner: Callable[..., tuple[Tensor, Tensor]], *, quiet: bool = False) -> None:
    """Chapter 07: ``luong_step(embedded (B, e), previous (B, d), previous_attentional (B, d), keys (B, T, d),
    mask (B, T), cell, W_c (d, 2d)) -> (state (B, d), attentional (B, d))``: input feeding.

    The reference is :func:`reference_luong_step`; both results are checked, the state first.
    """
    if not callable(learner):
        raise ExerciseError(f"luong_step should be a function, but it is {describe(learner)}")
    cases = luong_step_cases()
    for part, index in (("state", 0), ("attentional vector", 1)):
        def wrong(index=index, **options):
            return lambda **case: _luong(**case, **options)[index]

        check_function(
            f"luong_step (its {part})",
            _part(learner, index, "luong_step", "(state, attentional)"),
            lambda index=index, **case: reference_luong_step(**case)[index],
            cases,
            mistakes=[
                Mistake(lambda index=index, **case: _luong(**case, fed=case["previous"])[index],
                        "you fed the previous GRU state into the cell; input feeding feeds the previous "
                        "*attentional* vector, previous_attentional (h~ of the last step), beside the embedding"),
                Mistake(lambda index=index, **case: _luong(**case, query=case["previous"])[index],
                        "you attended with the previous state, Bahdanau's wiring; in Luong's step the query is "
                        "the new state h_l that the cell just returned"),
                Mistake(wrong(state_first=True),
                        "you concatenated [state; context]; step 6 joins [context; state], the context first, "
                        "before W_c"),
                Mistake(wrong(squash=False), "the tanh is missing: the attentional vector is tanh(W_c [c; h])"),
                Mistake(wrong(fed_first=True),
                        "you fed [previous_attentional; embedded] to the cell: its input is [embedded; "
                        "previous_attentional], the embedding first"),
                Mistake(wrong(use_mask=False),
                        "padding leaks into the context: pass the mask to attend (True at real keys)"),
                Mistake(lambda index=index, **case: reference_luong_step(**case)[1 - index],
                        "you returned (attentional, state): return the new GRU state first, then the "
                        "attentional vector"),
            ],
            hint="state = cell([embedded; previous_attentional], previous); context = attend(state, keys, mask); "
                 "attentional = tanh([context; state] @ W_c.T)",
            error_hints=[(SIZE_ERRORS, "the cell takes (B, e + d) = [embedded; previous_attentional] and the "
                          "previous state (B, d); W_c is (d, 2d), so [context; state] (B, 2d) @ W_c.T gives (B, d)")],
            rules=Rules(answers=(reference_luong_step,), answers_hint="call the cell, attend and W_c yourself"),
            quiet=True,
        )
    if not quiet:
        print(f"✓ luong_step is correct: state and attentional vector match the reference on the worked "
              f"example and {len(cases) - 1} random tests.")
# --------------------------------------------------------------------------------------------
# The notes' sentence, learned: a map of syllables read word by word
# --------------------------------------------------------------------------------------------

#: The word of each token of 나는 오늘 도쿄에 있다 (``나 는 ▁ 오 늘 ▁ 도 쿄 에 ▁ 있 다``), -1 at ``▁``.
NOTES_WORD_IDS = (0, 0, -1, 1, 1, -1, 2, 2, 2, -1, 3, 3)


def reference_word_shares(weights: Tensor, word_ids: Tensor) -> Tensor:
    """``weights (L, T)``, ``word_ids (T,)`` int64 (the word of each token, -1 at a space) -> ``(L, W)``,
    ``W = word_ids.max() + 1``: the weight each output row puts on each word, its syllables added."""
    belongs = (word_ids.unsqueeze(1) == torch.arange(int(word_ids.max()) + 1)).to(weights.dtype)  # (T, W)
    return weights @ belongs  # (L, T) @ (T, W); a space (-1) belongs to no word


def word_shares_cases() -> list[dict[str, Tensor]]:
    """The notes' sentence (12 tokens, 4 words) under a random map of 5 rows, then random
    sentences of 2 to 6 words of 1 to 4 syllables, each row a softmax."""
    generator = torch.Generator().manual_seed(25)
    cases = [{"weights": torch.softmax(3 * torch.randn(5, 12, generator=generator), -1),
              "word_ids": torch.tensor(NOTES_WORD_IDS)}]
    for words, rows in ((2, 3), (5, 4), (6, 1)):
        ids: list[int] = []
        for word in range(words):
            ids += [word] * int(torch.randint(1, 5, (1,), generator=generator)) + [-1]
        ids = ids[:-1]  # no space after the last word
        cases.append({"weights": torch.softmax(2 * torch.randn(rows, len(ids), generator=generator), -1),
                      "word_ids": torch.tensor(ids)})
    return cases


def _one_hot(word_ids: Tensor, dtype: torch.dtype) -> Tensor:
    return (word_ids.unsqueeze(1) == torch.arange(int(word_ids.max()) + 1)).to(dtype)  # (T, W)


def check_word_shares(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 07: ``word_shares(weights (L, T), word_ids (T,)) -> (L, W)``, the attention each
    output row puts on each source word, its syllables' weights added (the notes' sentence page).

    The reference is :func:`reference_word_shares`; handed in itself, it is refused.
    """
    if learner is reference_word_shares:
        raise ExerciseError("word_shares is the check's own reference (lib.checks.reference_word_shares): "
                            "write the function yourself")
    check_function(
        "word_shares", learner, reference_word_shares, word_shares_cases(),
        mistakes=[
            *(Mistake(lambda weights, word_ids, into=into: reference_word_shares(weights, torch.where(
                          word_ids < 0, into(word_ids), word_ids)),
                      "the weight on the spaces (word id -1) went into a word: a ▁ token belongs to no word, leave it out")
              for into in (lambda ids: torch.zeros_like(ids), lambda ids: ids.max().expand_as(ids))),
            Mistake(lambda weights, word_ids: weights @ _one_hot(word_ids, weights.dtype) / _one_hot(word_ids, weights.dtype).sum(0),
                    "you averaged a word's syllables: add them, so that a row's shares add up to its weight on words"),
            Mistake(lambda weights, word_ids: (weights.unsqueeze(-1) * _one_hot(word_ids, weights.dtype)).amax(1),
                    "you kept each word's strongest syllable: add the weights of all its syllables"),
            Mistake(lambda weights, word_ids: (weights @ _one_hot(word_ids, weights.dtype)).T,
                    "return one row per output token, (L, W), not (W, L)"),
        ],
        hint="for each word w, add the columns t of weights whose word_ids[t] == w: a (T, W) 0/1 matrix "
             "(word_ids.unsqueeze(1) == torch.arange(W)) does it in one product",
        error_hints=[(SIZE_ERRORS, "weights (L, T) times a (T, W) matrix of which token is in which word gives (L, W)")],
        quiet=quiet,
    )
