"""Chapter 10's checks, ``check_causal_mask``, ``check_split_heads`` and
``check_sinusoidal_positions``, on the shared harness."""

import math

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks


def causal_mask(length):
    positions = torch.arange(length)
    return positions.unsqueeze(0) <= positions.unsqueeze(1)


def _ones(length):
    return torch.ones(length, length, dtype=torch.bool)


def split_heads(x, heads):
    batch, length, d_model = x.shape
    return x.view(batch, length, heads, d_model // heads).permute(0, 2, 1, 3)


def _table(length, d_model, pair=lambda angle: (math.sin(angle), math.cos(angle)), start=0, exponent=2):
    """The position table written with loops, as a learner might: ``pair`` fills columns 2i, 2i+1."""
    table = torch.zeros(length, d_model)
    for p in range(length):
        for i in range(d_model // 2):
            table[p, 2 * i], table[p, 2 * i + 1] = pair((p + start) / 10_000 ** (exponent * i / d_model))
    return table


def sinusoidal_positions(length, d_model):
    return _table(length, d_model)


SPECS = [
    CheckSpec(checks.check_causal_mask, "causal_mask", causal_mask, {
        "upper triangle": (lambda length: _ones(length).triu(),
            "upper triangle"),
        "no diagonal": (lambda length: _ones(length).tril(-1),
            "cannot see itself"),
        "PyTorch's convention": (lambda length: ~_ones(length).tril(),
            "PyTorch's convention"),
        "nothing masked": (lambda length: _ones(length),
            "nothing is masked"),
        "float -inf mask": (lambda length: torch.full((length, length), float("-inf")).triu(1),
            "should return a bool tensor"),
    }, result="bool", tensor_inputs=False),
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
    CheckSpec(checks.check_sinusoidal_positions, "sinusoidal_positions", sinusoidal_positions, {
        "sine and cosine swapped": (lambda length, d_model: _table(length, d_model, lambda a: (math.cos(a), math.sin(a))),
            "swapped"),
        "halves, not interleaved": (lambda length, d_model: torch.cat([_table(length, d_model)[:, 0::2],
                                                                       _table(length, d_model)[:, 1::2]], -1),
            "first half"),
        "exponent i/d": (lambda length, d_model: _table(length, d_model, exponent=1),
            "yours is i/d"),
        "positions from 1": (lambda length, d_model: _table(length, d_model, start=1),
            "start at 0"),
    }, tensor_inputs=False),
]


def test_causal_mask_wrong_shape_is_reported():
    fails(checks.check_causal_mask, lambda length: causal_mask(length)[None], "returned shape (1, 4, 4)")


def test_causal_mask_from_tril_passes():
    checks.check_causal_mask(lambda length: torch.ones(length, length, dtype=torch.bool).tril(), quiet=True)


def test_positions_in_float64_are_refused():
    fails(checks.check_sinusoidal_positions, lambda length, d_model: _table(length, d_model).double(),
          "returned dtype torch.float64")


def test_split_heads_worked_example_gives_each_head_a_contiguous_slice():
    x = torch.arange(24, dtype=torch.float32).reshape(1, 3, 8)
    heads = split_heads(x, 2)
    assert heads[0, 0, 0].tolist() == [0, 1, 2, 3] and heads[0, 1, 0].tolist() == [4, 5, 6, 7]
