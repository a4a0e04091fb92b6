"""A tiny reversal task the tests of lib train and decode on in a fraction of a second."""

from lib.data import PairDataset, make_loader
from lib.tasks import reversal_pairs, reversal_vocab

VOCAB = reversal_vocab()


def tiny_dataset(count=64, min_len=3, max_len=8, seed=0) -> PairDataset:
    pairs = reversal_pairs(count, min_len, max_len, seed=seed)
    return PairDataset([s for s, _ in pairs], [t for _, t in pairs], VOCAB, VOCAB)


def first_batch(dataset, size=8):
    return next(iter(make_loader(dataset, size, shuffle=False)))
