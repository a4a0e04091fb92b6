"""Tests of lib.decoding: greedy decoding and batched beam search."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import Tensor, nn

from lib.data import EOS, PAD, SOS
from lib.decoding import (Decoded, beam_search, greedy_decode, length_penalty_factor, search, sequence_log_probs,
                          translate)
from lib.models import Encoded, Seq2Seq, build_model

KINDS = ("attention", "fixed")


def _model(kind: str, seed: int = 0, vocab: int = 9) -> Seq2Seq:
    model = build_model(kind, 15, vocab, embed_size=8, hidden_size=16, seed=seed)
    # Sharpen the output layer so that the search space is uneven, as in a trained model.
    with torch.no_grad():
        model.decoder.out.weight.mul_(6.0)
    return model.eval()


def _sources(batch: int = 6, width: int = 7, seed: int = 0) -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, width + 1, (batch,), generator=generator)
    lengths[0] = width
    source = torch.randint(4, 15, (batch, width), generator=generator)
    source = source.masked_fill(torch.arange(width) >= lengths.unsqueeze(1), PAD)
    return source, lengths


def _strip(row: Tensor) -> list[int]:
    return [int(i) for i in row if int(i) != PAD]


# --- beam_size = 1 is greedy -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_of_one_without_length_penalty_is_greedy(kind, seed):
    model = _model(kind, seed)
    source, lengths = _sources(seed=seed)
    greedy = greedy_decode(model, source, lengths, max_len=12)
    beam = beam_search(model, source, lengths, beam_size=1, max_len=12, length_penalty=0.0)
    assert torch.equal(beam.tokens, greedy.tokens)
    if kind == "attention":
        assert beam.weights is not None and greedy.weights is not None
        real = (greedy.tokens != PAD).unsqueeze(-1)
        assert torch.allclose(beam.weights * real, greedy.weights * real, atol=1e-6)
    else:
        assert beam.weights is None and greedy.weights is None
    assert torch.allclose(beam.scores, sequence_log_probs(model, source, lengths, beam.tokens), atol=1e-4)


# --- a hand-made model on which greedy is myopic -------------------------------------------------

A, B = 4, 5
VOCAB = 6


class _MarkovEncoder(nn.Module):
    def forward(self, source: Tensor, source_lengths: Tensor) -> Encoded:
        batch, width = source.shape
        states = torch.zeros(batch, width, 2)
        mask = torch.arange(width) < source_lengths.unsqueeze(1)
        return Encoded(states, torch.zeros(batch, 2), mask)


class _MarkovDecoder(nn.Module):
    """The next token depends only on the previous one, through a fixed table:
    after <sos>: A 0.6, B 0.4; after A: A 0.36, B 0.34, <eos> 0.30; after B: <eos> 0.97.
    Greedy takes A (0.6), then A again and again; the best sequence is B <eos> (0.4 * 0.97)."""

    def __init__(self) -> None:
        super().__init__()
        table = torch.full((VOCAB, VOCAB), 1e-4)
        table[SOS, A], table[SOS, B] = 0.6, 0.4
        table[A, A], table[A, B], table[A, EOS] = 0.36, 0.34, 0.30
        table[B, EOS] = 0.97
        table[PAD, EOS] = table[EOS, EOS] = 0.97
        self.register_buffer("log_table", (table / table.sum(1, keepdim=True)).log())

    def step(self, tokens: Tensor, hidden: Tensor, encoded: Encoded) -> tuple[Tensor, Tensor, None]:
        return self.log_table[tokens], hidden, None


def _markov_model() -> Seq2Seq:
    return Seq2Seq(_MarkovEncoder(), _MarkovDecoder()).eval()  # type: ignore[arg-type]


def test_beam_beats_myopic_greedy_on_a_hand_made_model():
    model = _markov_model()
    source, lengths = torch.tensor([[4, 5, 6]]), torch.tensor([3])
    greedy = greedy_decode(model, source, lengths, max_len=8)
    assert _strip(greedy.tokens[0]) == [A] * 8  # greedy never leaves A
    beam = beam_search(model, source, lengths, beam_size=2, max_len=8, length_penalty=0.0)
    assert _strip(beam.tokens[0]) == [B, EOS]
    beam_log_prob = sequence_log_probs(model, source, lengths, beam.tokens)
    greedy_log_prob = sequence_log_probs(model, source, lengths, greedy.tokens)
    assert float(beam_log_prob) > float(greedy_log_prob) + 1.0
    table = model.decoder.log_table
    assert math.isclose(float(beam_log_prob), float(table[SOS, B] + table[B, EOS]), rel_tol=1e-5)
    assert torch.allclose(beam.scores, beam_log_prob)


def _exhaustive_best(model: Seq2Seq, source: Tensor, lengths: Tensor, vocab: int, max_len: int,
                     alpha: float, normalisation: str) -> tuple[list[int], float]:
    """Score every possible output (ended by <eos>, or cut at max_len) and return the best."""
    others = [t for t in range(vocab) if t != EOS]
    outputs = [[*prefix, last] for length in range(1, max_len + 1)
               for prefix in itertools.product(others, repeat=length - 1)
               for last in ([EOS] if length < max_len else [EOS, *others])]
    tokens = torch.tensor([row + [PAD] * (max_len - len(row)) for row in outputs])
    count = len(outputs)
    log_probs = sequence_log_probs(model, source.expand(count, -1), lengths.expand(count), tokens)
    scores = [float(lp) / length_penalty_factor(len(row), alpha, normalisation) for lp, row in zip(log_probs, outputs)]
    best = max(range(count), key=scores.__getitem__)
    return outputs[best], scores[best]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("alpha", "normalisation"), [(0.0, "length"), (1.0, "length"), (0.6, "gnmt"),
                                                      (2.0, "gnmt")])
def test_a_wide_beam_finds_the_exhaustive_best(kind, alpha, normalisation):
    vocab, max_len = 6, 3
    model = _model(kind, seed=3, vocab=vocab)
    for index in range(3):
        source, lengths = _sources(batch=1, seed=10 + index)
        lengths = lengths[:1]
        tokens, score = _exhaustive_best(model, source, lengths, vocab, max_len, alpha, normalisation)
        # 30 beams hold all 5 * 5 live prefixes of length 2: the search is exhaustive here.
        beam = beam_search(model, source, lengths, beam_size=30, max_len=max_len, length_penalty=alpha,
                           normalisation=normalisation)
        assert _strip(beam.tokens[0]) == tokens
        assert math.isclose(float(beam.scores[0]), score, rel_tol=1e-4, abs_tol=1e-5)


def test_a_wider_beam_never_scores_worse_on_the_hand_made_model():
    model = _markov_model()
    source, lengths = torch.tensor([[4, 5]]), torch.tensor([2])
    scores = [float(beam_search(model, source, lengths, beam_size=k, max_len=8, length_penalty=0.0).scores)
              for k in (1, 2, 3, 5)]
    assert scores == sorted(scores)


# --- batches, shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_batch_equals_one_by_one(kind):
    model = _model(kind, seed=4)
    source, lengths = _sources(batch=5, seed=4)
    together = beam_search(model, source, lengths, beam_size=3, max_len=10, length_penalty=0.6)
    for row in range(source.shape[0]):
        width = int(lengths[row])
        alone = beam_search(model, source[row:row + 1, :width], lengths[row:row + 1], beam_size=3,
                            max_len=10, length_penalty=0.6)
        assert _strip(together.tokens[row]) == _strip(alone.tokens[0])
        assert torch.allclose(together.scores[row], alone.scores[0], atol=1e-5)
        if kind == "attention":
            size = alone.weights.shape[1]
            assert torch.allclose(together.weights[row, :size, :width], alone.weights[0], atol=1e-5)
            assert not together.weights[row, :, width:].any()  # padding gets no weight


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_layout(kind):
    model = _model(kind, seed=5)
    source, lengths = _sources(batch=4, width=6, seed=5)
    result = beam_search(model, source, lengths, beam_size=4, max_len=9)
    assert isinstance(result, Decoded)
    assert result.tokens.dtype == torch.long and result.tokens.shape[0] == 4
    assert 1 <= result.tokens.shape[1] <= 9
    assert result.scores.shape == (4,) and torch.isfinite(result.scores).all()
    for row in result.tokens.tolist():
        if EOS in row:  # the first <eos> is followed by padding only
            assert all(t == PAD for t in row[row.index(EOS) + 1:])
    if kind == "attention":
        assert result.weights.shape == (4, result.tokens.shape[1], 6)
        real = result.tokens != PAD
        sums = result.weights.sum(-1)
        assert torch.allclose(sums[real], torch.ones(int(real.sum())), atol=1e-5)
    else:
        assert result.weights is None
    one_step = beam_search(model, source, lengths, beam_size=3, max_len=1)
    assert one_step.tokens.shape == (4, 1)


def test_decoding_leaves_the_model_mode_and_builds_no_graph():
    model = _model("attention")
    model.train()
    source, lengths = _sources()
    result = beam_search(model, source, lengths, beam_size=2, max_len=5)
    assert model.training and not result.tokens.requires_grad and not result.scores.requires_grad


@pytest.mark.parametrize("beam_size", [1, 3])
def test_translate_decodes_in_eval_mode_and_gives_the_mode_back(beam_size):
    model = _model("attention")
    in_eval = translate(model, [5, 6, 7, 8], beam_size=beam_size, max_len=6)
    model.train()  # dropout on: translate must switch it off for the search, then back on
    in_training = translate(model, [5, 6, 7, 8], beam_size=beam_size, max_len=6)
    assert model.training and in_training[0] == in_eval[0]
    assert torch.equal(in_training[1], in_eval[1])


# --- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("beam_size", [0, -1, 2.5, True, "5"])
def test_bad_beam_size(beam_size):
    source, lengths = _sources()
    with pytest.raises(ValueError, match="beam_size must be an int >= 1"):
        beam_search(_model("attention"), source, lengths, beam_size=beam_size)


@pytest.mark.parametrize("max_len", [0, -3, 2.0, None])
def test_bad_max_len(max_len):
    source, lengths = _sources()
    with pytest.raises(ValueError, match="max_len must be a positive int"):
        beam_search(_model("fixed"), source, lengths, max_len=max_len)
    with pytest.raises(ValueError, match="max_len must be a positive int"):
        greedy_decode(_model("fixed"), source, lengths, max_len=max_len)


@pytest.mark.parametrize("alpha", [-0.1, float("nan"), float("inf"), "0.6"])
def test_bad_length_penalty(alpha):
    source, lengths = _sources()
    with pytest.raises(ValueError, match="length_penalty must be a finite number >= 0"):
        beam_search(_model("attention"), source, lengths, length_penalty=alpha)


def test_not_a_model():
    source, lengths = _sources()
    with pytest.raises(TypeError, match="model must be a Seq2Seq"):
        beam_search(nn.Linear(2, 2), source, lengths)
    with pytest.raises(TypeError, match="model must be a Seq2Seq"):
        greedy_decode("model", source, lengths)


def test_bad_source_is_reported_by_the_encoder():
    source, lengths = _sources()
    with pytest.raises(ValueError, match="source_lengths must have shape"):
        beam_search(_model("attention"), source, lengths[:2])


def test_length_penalty_factor():
    assert length_penalty_factor(1, 0.6, "gnmt") == 1.0 == length_penalty_factor(1, 0.6)
    assert length_penalty_factor(7, 0.0, "gnmt") == 1.0 == length_penalty_factor(7, 0.0)
    assert math.isclose(length_penalty_factor(7, 1.0, "gnmt"), 2.0)
    assert math.isclose(length_penalty_factor(13, 0.5, "gnmt"), math.sqrt(3.0))
    assert math.isclose(length_penalty_factor(9, 0.5), 3.0)
    with pytest.raises(ValueError, match="normalisation must be one of"):
        length_penalty_factor(3, 1.0, "mean")


def test_bad_normalisation():
    source, lengths = _sources()
    with pytest.raises(ValueError, match="normalisation must be one of"):
        beam_search(_model("attention"), source, lengths, normalisation="average")


def test_translate_one_sequence():
    model = build_model("attention", 24, 24, hidden_size=16, embed_size=8)
    output, weights = translate(model, [5, 6, 7, 8], max_len=6)
    assert len(output) <= 6 and EOS not in output
    assert weights.shape == (len(output), 4)
    with pytest.raises(ValueError, match="nothing to translate"):
        translate(model, [])


@pytest.mark.parametrize("kind", KINDS)
def test_search_is_greedy_for_one_beam_and_beam_search_otherwise(kind):
    model = _model(kind)
    source, lengths = torch.tensor([[4, 5, 6], [7, 8, PAD]]), torch.tensor([3, 2])
    greedy = greedy_decode(model, source, lengths, max_len=7)
    assert torch.equal(search(model, source, lengths, max_len=7).tokens, greedy.tokens)
    beam = beam_search(model, source, lengths, beam_size=3, max_len=7, length_penalty=0.5)
    found = search(model, source, lengths, beam_size=3, max_len=7, length_penalty=0.5)
    assert torch.equal(found.tokens, beam.tokens) and torch.equal(found.scores, beam.scores)


def test_translate_with_a_beam_returns_the_beams_best():
    model = _model("attention")
    ids = [4, 5, 6, 7]
    best = beam_search(model, torch.tensor([ids]), torch.tensor([4]), beam_size=3, max_len=8).tokens[0].tolist()
    output, weights = translate(model, ids, beam_size=3, max_len=8)
    assert output == best[:best.index(EOS)] if EOS in best else output == best
    assert weights.shape == (len(output), 4)


def test_output_lengths_end_at_the_first_eos_inclusive_or_take_the_whole_row():
    from lib.data import EOS, PAD
    from lib.decoding import output_lengths
    tokens = torch.tensor([[5, EOS, PAD, PAD], [5, 6, 7, 8], [EOS, 5, EOS, PAD]])
    assert output_lengths(tokens).tolist() == [2, 4, 1]
