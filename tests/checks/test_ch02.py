"""Chapter 02's check, ``check_key_mask``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import checks


def key_mask(lengths, src_len):
    return torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1)


def _positions(src_len):
    return torch.arange(src_len).unsqueeze(0)


SPECS = [CheckSpec(checks.check_key_mask, "key_mask", key_mask, {
    "(T, B) layout": (lambda lengths, src_len: key_mask(lengths, src_len).T,
        "laid out (T, B)"),
    "True at padding": (lambda lengths, src_len: _positions(src_len) >= lengths.unsqueeze(1),
        "True at the padding"),
    "<= off by one": (lambda lengths, src_len: _positions(src_len) <= lengths.unsqueeze(1),
        "use <, not <="),
    "all True": (lambda lengths, src_len: torch.ones(len(lengths), src_len, dtype=torch.bool),
        "every key is marked real"),
    "no broadcasting": (lambda lengths, src_len: torch.arange(src_len) < lengths,
        "broadcasting gives (B, T)"),
    "last real token dropped": (lambda lengths, src_len: _positions(src_len) < lengths.unsqueeze(1) - 1,
        "last real token is marked as padding"),
    "src_len ignored": (lambda lengths, src_len: torch.arange(lengths.max()) < lengths[:, None],
        "use src_len positions"),
}, result="bool")]


def test_some_cases_are_padded_beyond_the_longest_sentence():
    seen = []
    def recording(lengths, src_len):
        seen.append((lengths.clone(), src_len))
        return key_mask(lengths, src_len)

    checks.check_key_mask(recording, quiet=True)
    assert any(src_len > int(lengths.max()) for lengths, src_len in seen)
