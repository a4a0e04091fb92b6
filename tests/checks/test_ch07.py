"""Chapter 07's checks, ``check_attend``, ``check_bahdanau_step`` and (the notes' sentence)
``check_word_shares``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import attention, checks
from lib.checks.ch07 import bahdanau_step_cases, reference_bahdanau_step, reference_word_shares, word_shares_cases


def attend(query, keys, mask):
    """query (B, d) or (B, L, d), as lib.attention.attend."""
    queries = query if query.dim() == 3 else query.unsqueeze(1)  # (B, L, d)
    scores = torch.bmm(queries, keys.transpose(1, 2)).masked_fill(~mask.unsqueeze(1), float("-inf"))
    weights = torch.softmax(scores, -1)  # (B, L, T)
    context = torch.bmm(weights, keys)
    return (context, weights) if query.dim() == 3 else (context.squeeze(1), weights.squeeze(1))


def attend_scaled(query, keys, mask):
    queries = query if query.dim() == 3 else query.unsqueeze(1)  # (B, L, d)
    scores = torch.bmm(queries, keys.transpose(1, 2)) / keys.shape[-1] ** 0.5
    weights = torch.softmax(scores.masked_fill(~mask.unsqueeze(1), float("-inf")), -1)  # (B, L, T)
    context = torch.bmm(weights, keys)
    return (context, weights) if query.dim() == 3 else (context.squeeze(1), weights.squeeze(1))


def attend_one_query(query, keys, mask):
    """The (B, d) version only, as the chapter's exercise first asked."""
    scores = torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, -1)
    return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights


def attend_mask_along_queries(query, keys, mask):
    if query.dim() == 2:
        return attend(query, keys, mask)
    weights = torch.softmax(torch.bmm(query, keys.transpose(1, 2)).masked_fill(~mask, float("-inf")), -1)
    return torch.bmm(weights, keys), weights


def bahdanau_step(embedded, previous, keys, mask, cell):
    context, _ = attend(previous, keys, mask)  # the previous state is the query
    return cell(torch.cat([embedded, context], -1), previous)


def luong_step(embedded, previous, previous_attentional, keys, mask, cell, W_c):  # noqa: N803
    state = cell(torch.cat([embedded, previous_attentional], -1), previous)  # input feeding
    context, _ = attend(state, keys, mask)  # the new state is the query
    return state, torch.tanh(torch.cat([context, state], -1) @ W_c.T)


def luong_fed_state(embedded, previous, previous_attentional, keys, mask, cell, W_c):  # noqa: N803
    return luong_step(embedded, previous, previous, keys, mask, cell, W_c)


def luong_bahdanau_query(embedded, previous, previous_attentional, keys, mask, cell, W_c):  # noqa: N803
    state = cell(torch.cat([embedded, previous_attentional], -1), previous)
    context, _ = attend(previous, keys, mask)
    return state, torch.tanh(torch.cat([context, state], -1) @ W_c.T)


def luong_state_first(embedded, previous, previous_attentional, keys, mask, cell, W_c):  # noqa: N803
    state = cell(torch.cat([embedded, previous_attentional], -1), previous)
    context, _ = attend(state, keys, mask)
    return state, torch.tanh(torch.cat([state, context], -1) @ W_c.T)


def luong_no_tanh(embedded, previous, previous_attentional, keys, mask, cell, W_c):  # noqa: N803
    state = cell(torch.cat([embedded, previous_attentional], -1), previous)
    context, _ = attend(state, keys, mask)
    return state, torch.cat([context, state], -1) @ W_c.T


def _mean_of_real_keys(keys, mask):
    return (keys * mask.unsqueeze(-1)).sum(1) / mask.sum(-1, keepdim=True)


def word_shares(weights, word_ids):
    shares = torch.zeros(weights.shape[0], int(word_ids.max()) + 1, dtype=weights.dtype)
    for token, word in enumerate(word_ids.tolist()):
        if word >= 0:
            shares[:, word] += weights[:, token]
    return shares


def _words_with_spaces_in_last(weights, word_ids):
    return word_shares(weights, torch.where(word_ids < 0, word_ids.max(), word_ids))


def _first_syllable_only(weights, word_ids):
    first = torch.tensor([word >= 0 and (token == 0 or word_ids[token - 1] != word)
                          for token, word in enumerate(word_ids.tolist())])
    return word_shares(weights * first, word_ids)


SPECS = [
    CheckSpec(checks.check_attend, "attend", attend, {
        "mask ignored": (lambda query, keys, mask: attend(query, keys, torch.ones_like(mask)),
            "padding leaks"),
        "scaled scores": (attend_scaled, "scaled by 1/sqrt(d)"),
        "pair swapped": (lambda query, keys, mask: attend(query, keys, mask)[::-1],
            "return the context first"),
        "context only": (lambda query, keys, mask: attend(query, keys, mask)[0],
            "should return a pair (context, weights)"),
        "(B, d) queries only": (attend_one_query,
            "the query may be (B, d) or (B, L, d)"),
        "mask along the queries": (attend_mask_along_queries,
            "mask.unsqueeze(1), (B, 1, T)"),
    }, result="pair"),
    CheckSpec(checks.check_luong_step, "luong_step", luong_step, {
        "fed the state": (luong_fed_state, "input feeding feeds the previous *attentional* vector"),
        "Bahdanau's query": (luong_bahdanau_query, "you attended with the previous state"),
        "[state; context]": (luong_state_first, "step 6 joins [context; state]"),
        "no tanh": (luong_no_tanh, "the tanh is missing"),
        "mask ignored": (lambda **case: luong_step(**{**case, "mask": torch.ones_like(case["mask"])}),
                         "padding leaks into the context"),
        "swapped": (lambda **case: luong_step(**case)[::-1], "return the new GRU state first"),
    }, result="pair"),
    CheckSpec(checks.check_bahdanau_step, "bahdanau_step", bahdanau_step, {
        "mask ignored": (lambda embedded, previous, keys, mask, cell:
                         cell(torch.cat([embedded, attend(previous, keys, torch.ones_like(mask))[0]], -1), previous),
            "padding leaks into the context"),
        "context first": (lambda embedded, previous, keys, mask, cell:
                          cell(torch.cat([attend(previous, keys, mask)[0], embedded], -1), previous),
            "[context; embedded]"),
        "mean of the keys": (lambda embedded, previous, keys, mask, cell:
                             cell(torch.cat([embedded, _mean_of_real_keys(keys, mask)], -1), previous),
            "you averaged the keys"),
        "context returned": (lambda embedded, previous, keys, mask, cell: attend(previous, keys, mask)[0],
            "you returned the context vector"),
        "state for context": (lambda embedded, previous, keys, mask, cell: cell(torch.cat([embedded, previous], -1), previous),
            "fed the previous state where the context goes"),
        "cell from zeros": (lambda embedded, previous, keys, mask, cell:
                            cell(torch.cat([embedded, attend(previous, keys, mask)[0]], -1)),
            "started from zeros"),
        "concatenated on the batch axis": (lambda embedded, previous, keys, mask, cell:
                                           cell(torch.cat([embedded, attend(previous, keys, mask)[0]], 0), previous),
            "torch.cat([...], -1)"),
    }),
    CheckSpec(checks.check_word_shares, "word_shares", word_shares, {
        "spaces in the last word": (_words_with_spaces_in_last, "a ▁ token belongs to no word"),
        "mean of the syllables": (lambda weights, word_ids: word_shares(weights, word_ids)
                                  / torch.bincount(word_ids[word_ids >= 0]), "you averaged"),
        "strongest syllable": (lambda weights, word_ids: torch.stack(
            [torch.stack([weights[:, word_ids == w].amax(1) for w in range(int(word_ids.max()) + 1)], 1)]).squeeze(0),
            "strongest syllable"),
        "transposed": (lambda weights, word_ids: word_shares(weights, word_ids).T, "(L, W), not (W, L)"),
        "first syllable only": (_first_syllable_only, "add the columns"),
    }),
]


def test_word_shares_refuses_its_reference_and_reads_the_notes_sentence():
    fails(checks.check_word_shares, reference_word_shares, "write the function yourself")
    case = word_shares_cases()[0]
    assert case["word_ids"].tolist() == [0, 0, -1, 1, 1, -1, 2, 2, 2, -1, 3, 3]  # 나는 ▁ 오늘 ▁ 도쿄에 ▁ 있다
    assert torch.allclose(word_shares(**case), reference_word_shares(**case))


def test_reference_matches_a_hand_written_step():
    """The worked example by hand: scores of the running example's keys against the previous state."""
    case = bahdanau_step_cases()[0]
    scores = case["keys"][0] @ case["previous"][0]  # (T,) = [5.5, 9.5]
    assert scores.tolist() == [5.5, 9.5]
    context = torch.softmax(scores, 0) @ case["keys"][0]  # (d,)
    by_hand = case["cell"](torch.cat([case["embedded"][0], context]).unsqueeze(0), case["previous"])
    assert torch.allclose(reference_bahdanau_step(**case), by_hand)


def test_bahdanau_cases_have_padding_and_e_different_from_d():
    cases = bahdanau_step_cases()
    assert any(not bool(case["mask"].all()) for case in cases)
    assert all(case["embedded"].shape[1] != case["previous"].shape[1] for case in cases[1:])


def test_bahdanau_unknown_mistake_gets_the_hint():
    message = fails(checks.check_bahdanau_step,
                    lambda embedded, previous, keys, mask, cell: bahdanau_step(embedded, previous, keys, mask, cell) + 0.1,
                    "wrong values")
    assert "previous state as the query" in message


def test_attend_is_checked_with_many_queries_and_one_case_with_l_equal_to_b():
    from lib.checks.ch07 import _many_query_cases

    cases = _many_query_cases()
    assert all(case["query"].dim() == 3 for case in cases)
    assert cases[0]["query"].shape[0] == cases[0]["query"].shape[1]  # L == B: a wrong mask broadcasts
    assert any(not bool(case["mask"].all()) for case in cases)
    for case in cases:
        for ours, lib_result in zip(attend(**case), attention.attend(case["query"], case["keys"], mask=case["mask"])):
            assert torch.allclose(ours, lib_result, atol=1e-6)
