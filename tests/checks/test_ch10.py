"""Chapter 10's checks, ``check_causal_padded_attention``, ``check_split_heads`` and
``check_offset_matrix``, on the shared harness."""

import math

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks


def causal_mask(length):
    positions = torch.arange(length)
    return positions.unsqueeze(0) <= positions.unsqueeze(1)


def _attention(queries, keys, values, allowed, scale=True):
    scores = queries @ keys.transpose(1, 2) / (math.sqrt(keys.shape[-1]) if scale else 1.0)
    return torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1) @ values


def _padding(lengths, length):
    return (torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(1)  # (B, 1, T): hides key columns


def causal_padded_attention(queries, keys, values, lengths):
    length = queries.shape[1]
    return _attention(queries, keys, values, causal_mask(length) & _padding(lengths, length))


def split_heads(x, heads):
    batch, length, d_model = x.shape
    return x.view(batch, length, heads, d_model // heads).permute(0, 2, 1, 3)


def offset_matrix(k, d_model):
    """Written with a loop over the pairs, as a learner might (no loop is asked against)."""
    matrix = torch.zeros(d_model, d_model)
    for i in range(d_model // 2):
        angle = k / 10_000 ** (2 * i / d_model)
        matrix[2 * i:2 * i + 2, 2 * i:2 * i + 2] = torch.tensor([[math.cos(angle), math.sin(angle)],
                                                                 [-math.sin(angle), math.cos(angle)]])
    return matrix


def _with(k, d_model, rows):
    matrix = torch.zeros(d_model, d_model)
    for i in range(d_model // 2):
        matrix[2 * i:2 * i + 2, 2 * i:2 * i + 2] = torch.tensor(rows(k / 10_000 ** (2 * i / d_model)))
    return matrix


SPECS = [
    CheckSpec(checks.check_causal_padded_attention, "causal_padded_attention", causal_padded_attention, {
        "no padding mask": (lambda queries, keys, values, lengths: _attention(
            queries, keys, values, causal_mask(queries.shape[1]).expand(len(lengths), -1, -1)),
            "the padding mask is missing"),
        "no causal mask": (lambda queries, keys, values, lengths: _attention(
            queries, keys, values, _padding(lengths, queries.shape[1]).expand(-1, queries.shape[1], -1)),
            "the causal mask is missing"),
        "or, not and": (lambda queries, keys, values, lengths: _attention(
            queries, keys, values, causal_mask(queries.shape[1]) | _padding(lengths, queries.shape[1])),
            "combined the masks with |"),
        "keys as values": (lambda queries, keys, values, lengths: causal_padded_attention(queries, keys, keys, lengths),
            "you mixed the keys"),
        "not scaled": (lambda queries, keys, values, lengths: _attention(
            queries, keys, values, causal_mask(queries.shape[1]) & _padding(lengths, queries.shape[1]), scale=False),
            "not scaled"),
        "padding along the queries": (lambda queries, keys, values, lengths: _attention(
            queries, keys, values, causal_mask(queries.shape[1]) & _padding(lengths, queries.shape[1]).transpose(1, 2)),
            "(B, 1, T)"),
    }),
    CheckSpec(checks.check_split_heads, "split_heads", split_heads, {
        "no transpose": (lambda x, heads: x.reshape(x.shape[0], x.shape[1], heads, -1),
            "(B, T, h, d/h)"),
        "reshape only": (lambda x, heads: x.reshape(x.shape[0], heads, x.shape[1], -1),
            "mixes tokens"),
        "interleaved": (lambda x, heads: x.reshape(x.shape[0], x.shape[1], -1, heads).permute(0, 3, 1, 2),
            "interleaved"),
        "heads in the batch": (lambda x, heads: split_heads(x, heads).reshape(-1, x.shape[1], x.shape[2] // heads),
            "(B*h, T, d/h)"),
    }),
    CheckSpec(checks.check_offset_matrix, "offset_matrix", offset_matrix, {
        "wrong way": (lambda k, d_model: _with(k, d_model, lambda a: [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]),
            "turns the wrong way"),
        "rows swapped": (lambda k, d_model: _with(k, d_model, lambda a: [[-math.sin(a), math.cos(a)], [math.cos(a), math.sin(a)]]),
            "rows of each 2x2 block are swapped"),
        "one frequency": (lambda k, d_model: torch.block_diag(*[torch.tensor(
            [[math.cos(k), math.sin(k)], [-math.sin(k), math.cos(k)]])] * (d_model // 2)),
            "its own frequency"),
        "identity": (lambda k, d_model: torch.eye(d_model), "you returned the identity"),
    }, tensor_inputs=False),
]


def test_causal_padded_attention_padding_only_changes_the_padded_rows():
    """What the exercise asks last: under the causal mask a real row never sees padding."""
    from lib.checks.ch10 import _causal_padded_cases

    for case in _causal_padded_cases():
        length = case["queries"].shape[1]
        causal_only = _attention(case["queries"], case["keys"], case["values"], causal_mask(length))
        both = causal_padded_attention(**case)
        real = (torch.arange(length) < case["lengths"].unsqueeze(1))  # (B, T) rows of real positions
        assert torch.allclose(causal_only[real], both[real])
        assert not torch.allclose(causal_only[~real], both[~real])


def test_a_lib_causal_mask_inside_the_answer_is_refused():
    from lib import transformer

    def with_lib_mask(queries, keys, values, lengths):
        return _attention(queries, keys, values, transformer.causal_mask(queries.shape[1]) & _padding(lengths, queries.shape[1]))

    fails(checks.check_causal_padded_attention, with_lib_mask, "runs lib.transformer.causal_mask")


def test_the_offset_matrix_moves_the_library_encodings_by_k():
    from lib import transformer

    table = transformer.sinusoidal_positions(30, 16)  # (30, 16)
    for k in (1, 4, 9):
        assert torch.allclose(table[:-k] @ offset_matrix(k, 16).T, table[k:], atol=1e-4)


def test_the_library_positions_inside_the_answer_are_refused():
    from lib import transformer

    def by_least_squares(k, d_model):
        table = transformer.sinusoidal_positions(64, d_model)
        return torch.linalg.lstsq(table[:64 - k], table[k:]).solution.T

    fails(checks.check_offset_matrix, by_least_squares, "runs lib.transformer.sinusoidal_positions")


def test_split_heads_worked_example_gives_each_head_a_contiguous_slice():
    x = torch.arange(24, dtype=torch.float32).reshape(1, 3, 8)
    heads = split_heads(x, 2)
    assert heads[0, 0, 0].tolist() == [0, 1, 2, 3] and heads[0, 1, 0].tolist() == [4, 5, 6, 7]
