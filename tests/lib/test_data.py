"""lib.data: vocabularies, datasets, batching and the padding mask."""

import pytest
import torch

from lib.data import EOS, PAD, SOS, UNK, PairDataset, Vocab, make_loader, source_mask
from lib.tasks import reversal_pairs, reversal_vocab


def test_vocab_specials_and_round_trip():
    vocab = Vocab("abc")
    assert vocab.itos[:4] == ["<pad>", "<sos>", "<eos>", "<unk>"]
    assert (PAD, SOS, EOS, UNK) == (0, 1, 2, 3)
    ids = vocab.encode("cab", add_sos=True, add_eos=True)
    assert ids[0] == SOS and ids[-1] == EOS
    assert vocab.decode(ids) == ["c", "a", "b"]
    assert Vocab.from_state_dict(vocab.state_dict()) == vocab


def test_vocab_unknown_token():
    vocab = Vocab("abc")
    with pytest.raises(ValueError, match=r"unknown token 'z' at position 1 of 'az'"):
        vocab.encode("az")
    assert vocab.encode("az", unknown="unk") == [vocab.stoi["a"], UNK]


def test_vocab_from_sequences_orders_by_frequency():
    vocab = Vocab.from_sequences([["b", "a", "a"], ["a", "c"]])
    assert vocab.itos[4:] == ["a", "b", "c"]


def test_dataset_batches_are_trimmed_and_shifted():
    vocab = reversal_vocab()
    dataset = PairDataset(["abc", "a"], ["cba", "a"], vocab, vocab)
    batch = next(iter(make_loader(dataset, batch_size=2, shuffle=False)))
    assert batch.source.shape == (2, 3)
    assert batch.source_lengths.tolist() == [3, 1]
    assert batch.target_in[:, 0].tolist() == [SOS, SOS]
    assert batch.target_out[1].tolist() == [vocab.stoi["a"], EOS, PAD, PAD]
    assert torch.equal(batch.target_in[:, 1:], batch.target_out[:, :-1].masked_fill(batch.target_out[:, :-1] == EOS, PAD))


def test_dataset_rejects_empty_and_mismatched():
    vocab = reversal_vocab()
    with pytest.raises(ValueError, match="2 sources and 1 targets"):
        PairDataset(["a", "b"], ["a"], vocab, vocab)
    with pytest.raises(ValueError, match="pair 1 has an empty source"):
        PairDataset(["a", ""], ["a", "b"], vocab, vocab)


def test_loader_shuffle_is_seeded():
    vocab = reversal_vocab()
    pairs = reversal_pairs(64, seed=1)
    dataset = PairDataset([s for s, _ in pairs], [t for _, t in pairs], vocab, vocab)
    first = [b.source_lengths.tolist() for b in make_loader(dataset, 8, seed=3)]
    second = [b.source_lengths.tolist() for b in make_loader(dataset, 8, seed=3)]
    assert first == second


def test_source_mask():
    mask = source_mask(torch.tensor([2, 3]), 4)
    assert mask.tolist() == [[True, True, False, False], [True, True, True, False]]
