"""lib.models, lib.train, lib.metrics: shapes, vectorised = step-by-step, determinism,
checkpoints, and errors."""

import pytest
import torch

from lib.data import EOS, PairDataset, make_loader
from lib.tasks import reversal_pairs, reversal_vocab
from lib.metrics import (
    accuracy_by_length,
    corpus_scores,
    evaluate,
    exact_match,
    predict,
    token_accuracy,
)
from lib.models import AttentionDecoder, build_model
from lib.train import CheckpointError, History, fit, load_checkpoint, save_checkpoint, sequence_loss

VOCAB = reversal_vocab()


def tiny_dataset(count=64, min_len=3, max_len=8, seed=0) -> PairDataset:
    pairs = reversal_pairs(count, min_len, max_len, seed=seed)
    return PairDataset([s for s, _ in pairs], [t for _, t in pairs], VOCAB, VOCAB)


def first_batch(dataset, size=8):
    return next(iter(make_loader(dataset, size, shuffle=False)))


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


def test_same_seed_same_history():
    histories = []
    for _ in range(2):
        model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=3)
        histories.append(fit(model, make_loader(tiny_dataset(), 16, seed=1), steps=12, log_every=3, progress=False).loss)
    assert histories[0] == histories[1]
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=4)
    other = fit(model, make_loader(tiny_dataset(), 16, seed=1), steps=12, log_every=3, progress=False).loss
    assert other != histories[0]


def test_fit_learns_and_records_evaluations():
    dataset = tiny_dataset(256, 3, 6)
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=32, embed_size=16)
    history = fit(model, make_loader(dataset, 32), steps=150, lr=1e-2, progress=False,
                  evaluate=lambda m: evaluate(m, dataset), eval_every=75)
    assert history.loss[-1] < history.loss[0] / 3
    assert [e["step"] for e in history.evals] == [75, 150]
    assert history.evals[-1]["token_accuracy"] > 0.6
    assert history.tokens > 0 and history.tokens_per_second > 0 and history.device == "cpu"
    assert history.first_reaching("token_accuracy", 0.0)["step"] == 75


def test_fit_rejects_zero_steps():
    model = build_model("fixed", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    with pytest.raises(ValueError, match="steps must be a positive"):
        fit(model, make_loader(tiny_dataset(), 8), steps=0, progress=False)


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


def test_sequence_loss_shape_error():
    with pytest.raises(ValueError, match=r"logits \(batch, tgt_len, vocab\) and targets"):
        sequence_loss(torch.randn(2, 3, 5), torch.zeros(2, 4, dtype=torch.long))


def test_checkpoint_round_trip(tmp_path):
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=1)
    history = History(step=[1], loss=[2.5], seconds=[0.1], tokens=10)
    path = save_checkpoint(tmp_path / "m.pt", model, config={"hidden": 16}, history=history,
                           extra={"vocab": VOCAB.state_dict()})
    other = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=2)
    state = load_checkpoint(path, other)
    assert state["config"] == {"hidden": 16} and state["history"].loss == [2.5]
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob("*.tmp"))


def test_checkpoint_errors(tmp_path):
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt", model)
    path = save_checkpoint(tmp_path / "m.pt", model)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(truncated, model)
    bigger = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=32, embed_size=8)
    with pytest.raises(CheckpointError, match="weights for another model"):
        load_checkpoint(path, bigger)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.ones(2)}, foreign)
    with pytest.raises(CheckpointError, match="not a checkpoint of this course"):
        load_checkpoint(foreign, model)


def test_metrics():
    assert exact_match([["a", "b"], ["c"]], [["a", "b"], ["d"]]) == 0.5
    assert token_accuracy([["a", "x", "c"], ["d"]], [["a", "b", "c"], ["d", "e"]]) == 3 / 5
    with pytest.raises(ValueError, match="2 predictions and 1 references"):
        exact_match([["a"], ["b"]], [["a"]])


def test_predict_and_accuracy_by_length():
    dataset = tiny_dataset(32, 3, 5)
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    assert len(predict(model, dataset)) == 32
    assert set(accuracy_by_length(model, dataset)) == {3, 4, 5}


def test_corpus_scores_use_sacrebleu():
    scores = corpus_scores(["the cat sat on the mat"], ["the cat sat on the mat"])
    assert scores.bleu == pytest.approx(100.0) and scores.chrf == pytest.approx(100.0)
    assert scores.bleu_signature.startswith("nrefs:1") and "chrF" in scores.chrf_signature or "nc:" in scores.chrf_signature


def test_cached_training_loads_the_same_result(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path))

    def train(steps=10, seed=5):
        model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=seed)
        history = fit(model, make_loader(tiny_dataset(), 16), steps=steps, progress=False, cache="unit")
        return model, history

    trained, first = train()
    assert "loaded" not in capsys.readouterr().out
    assert len(list((tmp_path / "checkpoints").glob("unit-*.pt"))) == 1
    loaded, second = train()
    assert "loaded the weights" in capsys.readouterr().out
    assert second.loss == first.loss
    for a, b in zip(trained.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    train(steps=11)  # another setting trains again
    train(seed=6)  # other initial weights train again
    assert len(list((tmp_path / "checkpoints").glob("unit-*.pt"))) == 3


def test_final_context_reference_is_the_encoders_summary():
    """The chapter-01 exercise's reference picks exactly what the encoder hands the decoder."""
    from lib.checks import _reference_final_context

    model = build_model("fixed", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    batch = first_batch(tiny_dataset())
    encoded = model.encoder(batch.source, batch.source_lengths)
    assert torch.allclose(_reference_final_context(encoded.states, batch.source_lengths), encoded.final, atol=1e-6)


def test_translate_one_sequence():
    from lib.models import translate

    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    output, weights = translate(model, VOCAB.encode("abcd"), max_len=6)
    assert len(output) <= 6 and EOS not in output
    assert weights.shape == (len(output), 4)
    with pytest.raises(ValueError, match="nothing to translate"):
        translate(model, [])


def test_training_fingerprint_is_the_same_in_another_process():
    """The cache key must not depend on the process (set order of classes, ids, hashing)."""
    import subprocess
    import sys

    script = (
        "from lib.train import _fingerprint\n"
        "from lib.models import build_model\n"
        "from lib.data import PairDataset, make_loader\nfrom lib.tasks import reversal_vocab\n"
        "v = reversal_vocab()\n"
        "m = build_model('attention', len(v), len(v), hidden_size=16, embed_size=8)\n"
        "loader = make_loader(PairDataset(['abc', 'de'], ['cba', 'ed'], v, v), 2)\n"
        "print(_fingerprint(m, loader, {'steps': 1}))\n"
    )
    keys = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
            for _ in range(3)}
    assert len(keys) == 1, keys
