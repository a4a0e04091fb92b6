"""lib.transformer: the six steps equal PyTorch's attention, masks and positions do their job,
the model trains repeatably, and bad input gets a clear error."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from lib import transformer
from lib.data import PairDataset, make_loader
from lib.decoding import translate
from lib.recipes import TransformerRecipe
from lib.tasks import reversal_pairs, reversal_vocab
from lib.train import fit

torch.manual_seed(0)


def _weights(d_model=8, d_k=8):
    generator = torch.Generator().manual_seed(1)
    return [torch.randn(d_k, d_model, generator=generator) for _ in range(3)]


def test_self_attention_equals_sdpa():
    x = torch.randn(3, 5, 8)
    W_q, W_k, W_v = _weights()
    context, weights = transformer.self_attention(x, W_q, W_k, W_v)
    expected = F.scaled_dot_product_attention(x @ W_q.T, x @ W_k.T, x @ W_v.T)
    assert context.shape == (3, 5, 8) and weights.shape == (3, 5, 5)
    assert torch.allclose(context, expected, atol=1e-5)
    assert torch.allclose(weights.sum(-1), torch.ones(3, 5))


def test_self_attention_masks_equal_sdpa():
    x = torch.randn(2, 6, 8)
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    W_q, W_k, W_v = _weights()
    context, _ = transformer.self_attention(x, W_q, W_k, W_v, mask, causal=True)
    allowed = torch.ones(6, 6, dtype=torch.bool).tril() & mask[:, None, :]  # sdpa: True = attend
    expected = F.scaled_dot_product_attention(x @ W_q.T, x @ W_k.T, x @ W_v.T, attn_mask=allowed)
    assert torch.allclose(context, expected, atol=1e-5)


def test_permutation_equivariance_without_positions():
    x = torch.randn(2, 7, 8)
    permutation = torch.randperm(7)
    W_q, W_k, W_v = _weights()
    context, _ = transformer.self_attention(x, W_q, W_k, W_v)
    permuted, _ = transformer.self_attention(x[:, permutation], W_q, W_k, W_v)
    assert torch.allclose(permuted, context[:, permutation], atol=1e-5)
    # With positions added, the same permutation no longer just permutes the output.
    positions = transformer.sinusoidal_positions(7, 8)
    with_positions, _ = transformer.self_attention(x + positions, W_q, W_k, W_v)
    permuted, _ = transformer.self_attention(x[:, permutation] + positions, W_q, W_k, W_v)
    assert not torch.allclose(permuted, with_positions[:, permutation], atol=1e-3)


def test_heads_equal_nn_multihead_attention():
    attention = nn.MultiheadAttention(12, 3, batch_first=True)
    query, key = torch.randn(2, 4, 12), torch.randn(2, 6, 12)
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])  # ours: True = real token
    ours, our_weights = transformer.multi_head_attention(query, key, key, attention, mask)
    theirs, their_weights = attention(query, key, key, key_padding_mask=~mask,  # theirs: True = ignore
                                      average_attn_weights=False)
    assert torch.allclose(ours, theirs, atol=1e-5)
    assert torch.allclose(our_weights, their_weights, atol=1e-5)
    assert torch.all(our_weights[1, :, :, 3:] == 0)


def test_split_merge_heads_round_trip():
    x = torch.randn(2, 5, 12)
    heads = transformer.split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    assert torch.equal(heads[:, 1], x[..., 4:8])
    assert torch.equal(transformer.merge_heads(heads), x)


def test_causal_mask_and_positions():
    assert transformer.causal_mask(3).tolist() == [[True, False, False], [True, True, False],
                                                   [True, True, True]]
    table = transformer.sinusoidal_positions(3, 4)
    assert torch.allclose(table[0], torch.tensor([0.0, 1.0, 0.0, 1.0]))
    assert torch.allclose(table[1], torch.tensor([0.8414710, 0.5403023, 0.0099998, 0.99995]), atol=1e-6)


def _reversal_model_and_loader():
    vocab = reversal_vocab()
    data = PairDataset(*zip(*reversal_pairs(64, min_len=3, max_len=6, seed=0)), vocab, vocab)
    recipe = TransformerRecipe(d_model=16, heads=2, encoder_layers=1, decoder_layers=1, feedforward=32)
    return transformer.build_transformer(len(vocab), len(vocab), recipe), make_loader(data, 16, seed=0)


def test_causal_mask_leaks_nothing_from_the_future():
    model, loader = _reversal_model_and_loader()
    model.eval()
    batch = next(iter(loader))
    logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
    changed = batch.target_in.clone()
    changed[:, 3:] = (changed[:, 3:] + 5) % 20 + 4  # other tokens from position 3 on
    changed_logits, _ = model(batch.source, batch.source_lengths, changed)
    assert torch.allclose(logits[:, :3], changed_logits[:, :3], atol=1e-5)
    assert not torch.allclose(logits[:, 3:], changed_logits[:, 3:], atol=1e-3)


def test_padding_changes_nothing():
    model, _ = _reversal_model_and_loader()
    model.eval()
    source = torch.tensor([[5, 6, 7, 0, 0]])
    target_in = torch.tensor([[1, 7, 6]])
    padded, _ = model(source, torch.tensor([3]), target_in)
    unpadded, _ = model(source[:, :3], torch.tensor([3]), target_in)
    assert torch.allclose(padded, unpadded, atol=1e-5)


def test_positions_from_the_end_count_back_from_each_rows_last_token():
    vocab = reversal_vocab()
    recipe = TransformerRecipe(d_model=16, heads=2, encoder_layers=1, decoder_layers=1, feedforward=32,
                               source_positions="end")
    model = transformer.build_transformer(len(vocab), len(vocab), recipe)
    tokens = torch.tensor([[5, 6, 7, 0], [5, 6, 7, 8]])
    embedded = model._embed(model.source_embedding, tokens, torch.tensor([3, 4]))
    table = transformer.sinusoidal_positions(4, 16)
    assert torch.allclose(embedded[0, :3] - model.source_embedding(tokens[0, :3]), table[[2, 1, 0]], atol=1e-6)
    assert torch.allclose(embedded[1] - model.source_embedding(tokens[1]), table[[3, 2, 1, 0]], atol=1e-6)
    # A string and the same string behind one more token: from the end, the shared tokens keep their positions.
    assert torch.allclose(embedded[0, 1:3], embedded[1, 2:4] - model.source_embedding(tokens[1, 2:4])
                          + model.source_embedding(tokens[0, 1:3]), atol=1e-6)
    assert "source_positions='end'" in repr(model)  # the training cache's fingerprint reads the repr
    with pytest.raises(ValueError, match="source_positions must be one of"):
        transformer.build_transformer(len(vocab), len(vocab), dataclasses.replace(recipe, source_positions="middle"))


def test_same_seed_same_loss_history_and_it_learns():
    histories = []
    for _ in range(2):
        model, loader = _reversal_model_and_loader()
        histories.append(fit(model, loader, steps=40, log_every=10, progress=False, device="cpu"))
    assert histories[0].loss == histories[1].loss
    assert histories[0].loss[-1] < 0.95 * histories[0].loss[0]  # 3.15 -> 2.83 measured
    tokens, weights = translate(model, [5, 6, 7])
    assert weights.shape == (len(tokens), 3)
    assert torch.allclose(weights.sum(-1), torch.ones(len(tokens)), atol=1e-5)


def test_bad_input_is_explained():
    W_q, W_k, W_v = _weights()
    with pytest.raises(ValueError, match=r"\(batch, seq_len, d_model\)"):
        transformer.self_attention(torch.randn(5, 8), W_q, W_k, W_v)
    with pytest.raises(ValueError, match="W_v must be a"):
        transformer.self_attention(torch.randn(1, 5, 8), W_q, W_k, torch.randn(8, 6))
    with pytest.raises(ValueError, match="same d_k"):
        transformer.self_attention(torch.randn(1, 5, 8), W_q, torch.randn(4, 8), W_v)
    with pytest.raises(ValueError, match="True at real tokens"):
        transformer.self_attention(torch.randn(1, 5, 8), W_q, W_k, W_v, torch.ones(1, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="divides d_model"):
        transformer.split_heads(torch.randn(1, 5, 8), 3)
    with pytest.raises(ValueError, match="4-D"):
        transformer.merge_heads(torch.randn(1, 5, 8))
    with pytest.raises(ValueError, match="positive int"):
        transformer.causal_mask(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, src_len\)"):
        transformer.multi_head_attention(torch.randn(1, 2, 8), torch.randn(1, 3, 8), torch.randn(1, 3, 8),
                                         attention, torch.ones(1, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="batch_first=True"):
        transformer.multi_head_attention(torch.randn(1, 2, 8), torch.randn(1, 3, 8), torch.randn(1, 3, 8),
                                         nn.MultiheadAttention(8, 2))
    with pytest.raises(ValueError, match="even"):
        transformer.sinusoidal_positions(4, 5)
    model, _ = _reversal_model_and_loader()
    with pytest.raises(ValueError, match="longer than the 128 positions"):
        model(torch.ones(1, 130, dtype=torch.long), torch.tensor([130]), torch.ones(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="target_in must have shape"):
        model(torch.ones(2, 3, dtype=torch.long), torch.tensor([3, 3]), torch.ones(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="source_lengths"):
        model(torch.ones(2, 3, dtype=torch.long), torch.tensor([3]), torch.ones(2, 2, dtype=torch.long))
