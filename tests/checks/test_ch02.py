"""Chapter 02's check, ``check_reverse_within_lengths``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks


def reverse_within_lengths(x, lengths):
    positions = torch.arange(x.shape[1]).expand(x.shape[0], -1)  # (B, T)
    n = lengths.unsqueeze(1)
    index = torch.where(positions < n, n - 1 - positions, positions)
    return x[torch.arange(x.shape[0]).unsqueeze(1), index]  # advanced indexing, (B, T, d)


def _zero_padding(x, lengths):
    real = (torch.arange(x.shape[1]) < lengths.unsqueeze(1)).unsqueeze(-1)
    return reverse_within_lengths(x, lengths) * real


SPECS = [CheckSpec(checks.check_reverse_within_lengths, "reverse_within_lengths", reverse_within_lengths, {
    "flipped the whole row": (lambda x, lengths: x.flip(1), "starts with its padding"),
    "within the longest": (lambda x, lengths: reverse_within_lengths(x, torch.full_like(lengths, int(lengths.max()))),
                           "within the longest length"),
    "padding zeroed": (_zero_padding, "the padded positions changed"),
    "features reversed": (lambda x, lengths: x.flip(-1), "reversed the features"),
    "batch reversed": (lambda x, lengths: x.flip(0), "order of the sentences"),
})]


def test_reversing_twice_gives_the_input_back_and_the_example_reads_as_the_chapter_says():
    from lib.checks.ch02 import _reverse_cases

    for case in _reverse_cases():
        once = reverse_within_lengths(**case)
        assert torch.equal(reverse_within_lengths(once, case["lengths"]), case["x"])
    example = _reverse_cases()[0]
    assert reverse_within_lengths(**example)[:, :, 0].tolist() == [[3, 1, 5, 7, 9], [11, 13, 15, 17, 19], [27, 25, 23, 21, 29]]


def test_a_loop_over_the_sentences_is_refused():
    def one_by_one(x, lengths):
        rows = []
        for row, n in zip(x, lengths.tolist()):
            rows.append(torch.cat([row[:n].flip(0), row[n:]]))
        return torch.stack(rows)

    fails(checks.check_reverse_within_lengths, one_by_one, "runs a Python loop")
