"""lib.models: shapes, vectorised training = step by step, padding, greedy decoding, errors."""

import pytest
import torch

from lib.checks.ch01 import _reference_final_context
from lib.data import EOS, PairDataset
from lib.models import AttentionDecoder, build_model
from tiny import VOCAB, first_batch, tiny_dataset


@pytest.mark.parametrize("kind", ["attention", "fixed"])
def test_forward_shapes(kind):
    model = build_model(kind, len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    batch = first_batch(tiny_dataset())
    logits, weights = model(batch.source, batch.source_lengths, batch.target_in)
    assert logits.shape == (*batch.target_in.shape, len(VOCAB))
    if kind == "attention":
        assert weights.shape == (*batch.target_in.shape, batch.source.shape[1])
        padded = ~(torch.arange(batch.source.shape[1]) < batch.source_lengths.unsqueeze(1))
        assert torch.all(weights.masked_select(padded.unsqueeze(1).expand_as(weights)) == 0)
    else:
        assert weights is None


@pytest.mark.parametrize("kind", ["attention", "fixed"])
def test_vectorised_training_equals_step_by_step(kind):
    """Teacher forcing in one call gives exactly what feeding one token at a time gives."""
    model = build_model(kind, len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8).eval()
    batch = first_batch(tiny_dataset())
    logits, weights = model(batch.source, batch.source_lengths, batch.target_in)
    encoded = model.encoder(batch.source, batch.source_lengths)
    hidden = encoded.final.unsqueeze(0)
    for step in range(batch.target_in.shape[1]):
        step_logits, hidden, step_weights = model.decoder.step(batch.target_in[:, step:step + 1], hidden, encoded)
        assert torch.allclose(step_logits[:, 0], logits[:, step], atol=1e-5)
        if weights is not None:
            assert torch.allclose(step_weights[:, 0], weights[:, step], atol=1e-5)


def test_encoder_keys_ignore_padding():
    """Padding a sequence (a longer batch-mate) does not change its keys: packing at work."""
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    alone = PairDataset(["abc"], ["cba"], VOCAB, VOCAB)
    padded = PairDataset(["abc", "abcdefgh"], ["cba", "hgfedcba"], VOCAB, VOCAB)
    a, b = first_batch(alone, 1), first_batch(padded, 2)
    keys_alone = model.encoder(a.source, a.source_lengths).states[0]
    keys_padded = model.encoder(b.source, b.source_lengths).states[0, :3]
    assert torch.allclose(keys_alone, keys_padded, atol=1e-6)


def test_encoder_sorts_on_the_cpu_as_pack_padded_sequence_would():
    """The encoder sorts the rows by length itself (no host-device sync on a GPU): its keys and
    summary equal those of ``pack_padded_sequence(enforce_sorted=False)``, ties and order included."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(0)
    encoder = build_model("attention", 20, 20, hidden_size=16, embed_size=8).encoder
    lengths = torch.tensor([3, 9, 3, 1, 5, 9, 2])  # unsorted, with ties
    source = torch.randint(4, 20, (7, 9)) * (torch.arange(9) < lengths.unsqueeze(1))
    encoded = encoder(source, lengths)
    packed = pack_padded_sequence(encoder.embedding(source), lengths, batch_first=True, enforce_sorted=False)
    states, last = encoder.rnn(packed)
    states, _ = pad_packed_sequence(states, batch_first=True, total_length=9)
    assert torch.equal(encoded.states, states)
    assert torch.equal(encoded.final, torch.cat([last[0], last[1]], dim=-1))


def test_greedy_stops_at_eos_and_pads_after():
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    batch = first_batch(tiny_dataset())
    tokens, weights = model.greedy(batch.source, batch.source_lengths, max_len=12)
    assert tokens.shape[0] == 8 and tokens.shape[1] <= 12
    assert weights.shape == (*tokens.shape, batch.source.shape[1])
    for row in tokens.tolist():
        if EOS in row:
            assert all(t == 0 for t in row[row.index(EOS) + 1:])


def test_model_input_errors():
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    source = torch.ones(2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match=r"source_lengths must have shape \(batch,\) = \(2,\).*got \(3,\)"):
        model(source, torch.tensor([4, 4, 4]), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="at least one token"):
        model(source, torch.tensor([4, 0]), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"target_in must have shape \(batch, tgt_len\) with batch = 2.*got \(3, 3\)"):
        model(source, torch.tensor([4, 4]), torch.ones(3, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="int64 token ids"):
        model(source.float(), torch.tensor([4, 4]), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="kind must be 'attention' or 'fixed'"):
        build_model("lstm", 10, 10)
    with pytest.raises(ValueError, match="score must be one of"):
        AttentionDecoder(10, 4, 8, score="cosine")


def test_final_context_reference_is_the_encoders_summary():
    """The chapter-01 exercise's reference picks exactly what the encoder hands the decoder."""

    model = build_model("fixed", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    batch = first_batch(tiny_dataset())
    encoded = model.encoder(batch.source, batch.source_lengths)
    assert torch.allclose(_reference_final_context(encoded.states, batch.source_lengths), encoded.final, atol=1e-6)
