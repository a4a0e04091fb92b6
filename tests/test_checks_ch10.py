"""Chapter 10's exercise checks: the reference passes, every known mistake is named.

Each known-wrong implementation must fail with its learner-facing sentence (asserted on a
phrase), and an unfinished exercise (``raise NotImplementedError()``) says "not implemented yet".
"""

from __future__ import annotations

import math
import re

import pytest
import torch

from lib import checks_ch10 as checks
from lib import transformer
from lib.checks import ExerciseError


def _fails_with(check, implementation, phrase):
    with pytest.raises(ExerciseError, match=re.escape(phrase)) as caught:
        check(implementation, quiet=True)
    message = str(caught.value)
    assert "\n" not in message
    return message


def _unfinished(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------------------------------
# causal_mask
# --------------------------------------------------------------------------------------------

def _ones(length):
    return torch.ones(length, length, dtype=torch.bool)


CAUSAL_MISTAKES = {
    "upper triangle": (lambda length: _ones(length).triu(), "upper triangle"),
    "no diagonal": (lambda length: _ones(length).tril(-1), "cannot see itself"),
    "torch convention": (lambda length: ~_ones(length).tril(), "PyTorch's convention"),
    "nothing masked": (lambda length: _ones(length), "nothing is masked"),
    "float -inf mask": (lambda length: torch.full((length, length), float("-inf")).triu(1),
                        "should return a bool tensor"),
    "wrong shape": (lambda length: _ones(length).tril()[None], "returned shape"),
}


def test_causal_reference_passes(capsys):
    checks.check_causal_mask(transformer.causal_mask)
    assert "✓ causal_mask is correct" in capsys.readouterr().out


def test_causal_alternative_solution_passes():
    checks.check_causal_mask(
        lambda length: torch.arange(length)[None, :] <= torch.arange(length)[:, None], quiet=True)


@pytest.mark.parametrize("wrong", CAUSAL_MISTAKES, ids=list(CAUSAL_MISTAKES))
def test_causal_mistake_is_named(wrong):
    implementation, phrase = CAUSAL_MISTAKES[wrong]
    assert _fails_with(checks.check_causal_mask, implementation, phrase).startswith("causal_mask")


def test_causal_not_implemented():
    _fails_with(checks.check_causal_mask, _unfinished, "not implemented yet")


# --------------------------------------------------------------------------------------------
# split_heads
# --------------------------------------------------------------------------------------------

def _reference_split(x, heads):
    batch, length, d_model = x.shape
    return x.view(batch, length, heads, d_model // heads).permute(0, 2, 1, 3)


SPLIT_MISTAKES = {
    "no transpose": (lambda x, heads: x.reshape(x.shape[0], x.shape[1], heads, -1), "(B, T, h, d/h)"),
    "reshape only": (lambda x, heads: x.reshape(x.shape[0], heads, x.shape[1], -1), "mixes tokens"),
    "interleaved": (lambda x, heads: x.reshape(x.shape[0], x.shape[1], -1, heads).permute(0, 3, 1, 2),
                    "interleaved"),
    "flattened heads": (lambda x, heads: _reference_split(x, heads).reshape(-1, x.shape[1], x.shape[2] // heads),
                        "(B*h, T, d/h)"),
    "in place": (lambda x, heads: _reference_split(x.mul_(1), heads).add_(0) if x.add_(1) is None
                 else _reference_split(x, heads), "in place"),
}


def test_split_reference_passes(capsys):
    checks.check_split_heads(transformer.split_heads)
    assert "✓ split_heads is correct" in capsys.readouterr().out


def test_split_alternative_solution_passes():
    checks.check_split_heads(_reference_split, quiet=True)


@pytest.mark.parametrize("wrong", SPLIT_MISTAKES, ids=list(SPLIT_MISTAKES))
def test_split_mistake_is_named(wrong):
    implementation, phrase = SPLIT_MISTAKES[wrong]
    assert _fails_with(checks.check_split_heads, implementation, phrase).startswith("split_heads")


def test_split_not_implemented():
    _fails_with(checks.check_split_heads, _unfinished, "not implemented yet")


# --------------------------------------------------------------------------------------------
# sinusoidal_positions
# --------------------------------------------------------------------------------------------

def _loop_positions(length, d_model):
    table = torch.zeros(length, d_model)
    for p in range(length):
        for i in range(d_model // 2):
            angle = p / 10_000 ** (2 * i / d_model)
            table[p, 2 * i], table[p, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return table


def _with(function, length, d_model, start=0, exponent=2):
    table = torch.zeros(length, d_model)
    for p in range(length):
        for i in range(d_model // 2):
            angle = (p + start) / 10_000 ** (exponent * i / d_model)
            table[p, 2 * i], table[p, 2 * i + 1] = function(angle)
    return table


POSITION_MISTAKES = {
    "swapped": (lambda length, d_model: _with(lambda a: (math.cos(a), math.sin(a)), length, d_model),
                "swapped"),
    "halves": (lambda length, d_model: torch.cat([_loop_positions(length, d_model)[:, 0::2],
                                                  _loop_positions(length, d_model)[:, 1::2]], -1),
               "first half"),
    "exponent i/d": (lambda length, d_model: _with(lambda a: (math.sin(a), math.cos(a)), length, d_model,
                                                   exponent=1), "yours is i/d"),
    "from 1": (lambda length, d_model: _with(lambda a: (math.sin(a), math.cos(a)), length, d_model,
                                             start=1), "start at 0"),
    "float64": (lambda length, d_model: _loop_positions(length, d_model).double(), "returned dtype"),
}


def test_positions_reference_passes(capsys):
    checks.check_sinusoidal_positions(transformer.sinusoidal_positions)
    assert "✓ sinusoidal_positions is correct" in capsys.readouterr().out


def test_positions_loop_solution_passes():
    checks.check_sinusoidal_positions(_loop_positions, quiet=True)


@pytest.mark.parametrize("wrong", POSITION_MISTAKES, ids=list(POSITION_MISTAKES))
def test_positions_mistake_is_named(wrong):
    implementation, phrase = POSITION_MISTAKES[wrong]
    message = _fails_with(checks.check_sinusoidal_positions, implementation, phrase)
    assert message.startswith("sinusoidal_positions")


def test_positions_not_implemented():
    _fails_with(checks.check_sinusoidal_positions, _unfinished, "not implemented yet")


def test_not_a_function():
    _fails_with(checks.check_causal_mask, torch.ones(3, 3), "should be a function")
