"""Bad input to ``lib``, as an instructor or a learner would give it: a clear error, never a hang.

One row per bad input: what is called, the error type expected, and the words its message must
hold (what was expected, what arrived, what to do). Every call runs in a thread with a time
limit, so a call that would never return (``steps=2.5`` once trained forever) fails the test
instead of hanging it. The few bad inputs that must now *work* (``eval_every < log_every``,
a vocabulary in ``save_checkpoint(extra=...)``) are tests of their own below.

The other bad inputs of the same issue are tested beside their code: the cache key's gaps in
tests/lib/test_fingerprint.py, the browser choice in tests/site/test_browser_choice.py, and a
rebuild after a failed notebook in tests/site/test_rebuild_after_failure.py.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import subprocess
import sys
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from lib.attention import AdditiveScore, GeneralScore, attend, attention_weights, dot_product_scores
from lib.data import Vocab, bucketed_loader, collate_batch, make_loader
from lib.decoding import beam_search, sequence_log_probs, translate
from lib.models import build_model
from lib.paths import cache_dir
from lib.recipes import TransformerRecipe
from lib.tasks import date_pairs, encode_date, format_date, random_dates, reversal_pairs, reversal_vocab
from lib.tatoeba import MIRROR_ENV, PAIRS, TatoebaArchiveError, TatoebaNotFoundError, load_pairs, split_indices
from lib.text import tokenize
from lib.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from lib.train import fit, sequence_loss
from lib.transformer import build_transformer, causal_mask, multi_head_attention, self_attention, split_heads
from tiny import VOCAB, first_batch, tiny_dataset

TIME_LIMIT_S = 60  # per call; each takes well under a second when it behaves


def run_with_time_limit(call, seconds: float = TIME_LIMIT_S):
    """``call()``'s result, or the exception it raised; fails the test if it runs past ``seconds``."""
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)  # a daemon never blocks pytest's exit
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: it hangs instead of failing"
    return outcome


def model(hidden: int = 8, seed: int = 0):
    return build_model("attention", len(VOCAB), len(VOCAB), hidden_size=hidden, embed_size=4, seed=seed)


def train(**settings):
    """A one-call ``fit`` on the tiny task; ``settings`` override the defaults."""
    loader = settings.pop("loader") if "loader" in settings else make_loader(tiny_dataset(16), 8)
    net = settings.pop("net") if "net" in settings else model()
    return fit(net, loader, **{"steps": 2, "progress": False, "device": "cpu", **settings})


def tiny_transformer():
    recipe = TransformerRecipe(d_model=8, heads=2, encoder_layers=1, decoder_layers=1, feedforward=16)
    return build_transformer(len(VOCAB), len(VOCAB), recipe)


def nan_model():
    net = model()
    with torch.no_grad():
        net.decoder.out.bias.fill_(float("nan"))  # every logit NaN, so every loss
    return net


def used_up_iterator():
    return iter([first_batch(tiny_dataset(8))])  # one batch, then nothing, ever


class LogitsOnly(torch.nn.Module):
    """A model that returns its logits alone, not (logits, weights)."""

    def __init__(self):
        super().__init__()
        self.inner = model()

    def forward(self, source, lengths, target_in):
        return self.inner(source, lengths, target_in)[0]


# --- Cases needing files ----------------------------------------------------------------------


def cache_named(name):
    def call(tmp_path: Path, monkeypatch):
        monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path / "cache"))
        train(cache=name)
    return call


def cache_folder_is_a_file(tmp_path: Path, monkeypatch):
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path / "cache"))
    train(cache="tiny")


def garbage_cache_file(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path))
    train(cache="tiny")
    (written,) = (tmp_path / "checkpoints").glob("tiny-*.pt")
    written.write_bytes(b"not a checkpoint at all")
    train(cache="tiny")


def shape_mismatch(tmp_path: Path, monkeypatch):
    path = save_checkpoint(tmp_path / "small.pt", model(hidden=8))
    load_checkpoint(path, model(hidden=16))


def save_an_object(tmp_path: Path, monkeypatch):
    save_checkpoint(tmp_path / "m.pt", model(), extra={"data": {"where": Path("data.txt")}})


def cached_archive_with_an_empty_file(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fra-eng/fra.txt", "")
    (tmp_path / "fra-eng.zip").write_bytes(buffer.getvalue())
    # Pinned, as d2l's zip is: the sha1 passes, and the empty text must still be refused.
    pinned = replace(PAIRS["fra-eng"], zip_sha1=hashlib.sha1(buffer.getvalue()).hexdigest())
    monkeypatch.setitem(PAIRS, "fra-eng", pinned)
    load_pairs("fra-eng", cache_dir=tmp_path, download=False)


def mirror_variable_is_a_file(tmp_path: Path, monkeypatch):
    (tmp_path / "fra.txt").write_text("Go.\tVa !\n")
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path / "fra.txt"))
    load_pairs("fra-eng")


def mirror_argument_is_a_file(tmp_path: Path, monkeypatch):
    (tmp_path / "fra.txt").write_text("Go.\tVa !\n")
    load_pairs("fra-eng", mirror=tmp_path / "fra.txt")


def without_files(call):
    return lambda tmp_path, monkeypatch: call()


F64, F32 = torch.float64, torch.float32
MHA = torch.nn.MultiheadAttention(4, 2, batch_first=True)
SOURCE = torch.tensor([[4, 5, 6]])
LENGTHS = torch.tensor([3])

# (id, call(tmp_path, monkeypatch), error type, words the message must hold)
CASES = [
    # 6. fit
    ("fit steps=2.5", without_files(lambda: train(steps=2.5)), ValueError, ["steps must be an int", "2.5"]),
    ("fit steps=True", without_files(lambda: train(steps=True)), ValueError, ["steps must be an int", "bool"]),
    ("fit steps=0", without_files(lambda: train(steps=0)), ValueError, ["steps must be an int >= 1", "0"]),
    ("fit log_every=0", without_files(lambda: train(log_every=0)), ValueError, ["log_every", ">= 1"]),
    ("fit eval_every=-1", without_files(lambda: train(eval_every=-1)), ValueError, ["eval_every", ">= 0"]),
    ("fit empty list", without_files(lambda: train(loader=[])), ValueError, ["yielded no batch", "empty"]),
    ("fit drop_last, too few examples", without_files(lambda: train(
        loader=make_loader(tiny_dataset(5), 8, drop_last=True))), ValueError, ["yielded no batch", "drop_last"]),
    ("fit empty DataLoader", without_files(lambda: train(
        loader=DataLoader([], batch_size=4, collate_fn=collate_batch))), ValueError, ["yielded no batch"]),
    ("fit used-up iterator", without_files(lambda: train(loader=used_up_iterator(), steps=3)),
     ValueError, ["yielded no batch", "one-shot iterator"]),
    ("fit clip=0", without_files(lambda: train(clip=0)), ValueError, ["clip", "positive", "float('inf')"]),
    ("fit clip=-1", without_files(lambda: train(clip=-1.0)), ValueError, ["clip", "positive", "-1.0"]),
    ("fit lr=nan", without_files(lambda: train(lr=math.nan)), ValueError, ["lr must be a finite", "nan"]),
    ("fit lr=inf", without_files(lambda: train(lr=math.inf)), ValueError, ["lr must be a finite", "inf"]),
    ("fit lr=0", without_files(lambda: train(lr=0.0)), ValueError, ["lr must be a finite positive"]),
    ("fit NaN loss", without_files(lambda: train(net=nan_model(), steps=4, log_every=2)), FloatingPointError,
     ["loss became nan", "steps 1..2", "step 2", "lower the learning rate"]),
    # 7. the training cache
    ("garbage cache file", garbage_cache_file, CheckpointError, ["corrupt", "delete it and train again"]),
    # 8. checkpoints
    ("checkpoint of other shapes", shape_mismatch, CheckpointError,
     ["another model", "the model's (", "the file's ("]),
    ("save a Path in extra", save_an_object, TypeError,
     ["cannot save extra['data']['where']", "Path", "weights_only"]),
    # 9. raw PyTorch errors made ours
    ("translate id above the vocabulary", without_files(lambda: translate(model(), [4, 500])), ValueError,
     ["outside the model's vocabulary", "[500]"]),
    ("translate negative id", without_files(lambda: translate(model(), [4, -1])), ValueError,
     ["outside the model's vocabulary", "[-1]"]),
    ("translate max_len=0", without_files(lambda: translate(model(), [4, 5], max_len=0)), ValueError,
     ["max_len must be a positive int", "0"]),
    ("translate(None)", without_files(lambda: translate(model(), None)), TypeError,
     ["source_ids must be a list of token ids", "NoneType"]),
    ("translate a string", without_files(lambda: translate(model(), "abc")), TypeError,
     ["source_ids must be a list of token ids", "str"]),
    ("sequence_log_probs id outside", without_files(lambda: sequence_log_probs(
        model(), SOURCE, LENGTHS, torch.tensor([[5, 99]]))), ValueError, ["tokens holds ids outside", "[99]"]),
    ("scores float64 query, float32 keys", without_files(lambda: dot_product_scores(
        torch.ones(1, 3, dtype=F64), torch.ones(1, 2, 3))), TypeError,
     ["same dtype", "torch.float64", "torch.float32"]),
    ("attend float64 values", without_files(lambda: attend(
        torch.ones(1, 3), torch.ones(1, 2, 3), torch.ones(1, 2, 3, dtype=F64))), TypeError,
     ["keys and values must have the same dtype"]),
    ("GeneralScore for other sizes", without_files(lambda: GeneralScore(8, 8)(
        torch.ones(1, 4), torch.ones(1, 2, 8))), ValueError, ["built for queries of size 8", "(1, 4)"]),
    ("AdditiveScore for other sizes", without_files(lambda: AdditiveScore(8, 8, 4)(
        torch.ones(1, 8), torch.ones(1, 2, 6))), ValueError, ["keys of size 8", "(1, 2, 6)"]),
    ("GeneralScore, float64 keys", without_files(lambda: GeneralScore(3, 3)(
        torch.ones(1, 3, dtype=F64), torch.ones(1, 2, 3, dtype=F64))), TypeError,
     ["GeneralScore's weights", "float64"]),
    ("build_model source vocabulary 0", without_files(lambda: build_model("attention", 0, 10)), ValueError,
     ["source_vocab_size must be an int >= 4", "got 0"]),
    ("build_model target vocabulary 0", without_files(lambda: build_model("fixed", 10, 0)), ValueError,
     ["target_vocab_size must be an int >= 4", "got 0"]),
    ("whitespace-only date", without_files(lambda: encode_date("   ")), ValueError, ["date is empty", "'   '"]),
    ("reversal_pairs(-1)", without_files(lambda: reversal_pairs(-1)), ValueError,
     ["number of reversal pairs", ">= 0", "-1"]),
    ("date_pairs(-3)", without_files(lambda: date_pairs(-3)), ValueError, ["number of date pairs", "-3"]),
    ("random_dates(2.5)", without_files(lambda: random_dates(2.5)), ValueError, ["number of dates", "2.5"]),
    ("cached archive, empty file", cached_archive_with_an_empty_file, TatoebaArchiveError,
     ["holds no sentence pairs", "empty", "delete it"]),
    ("mirror variable is a file", mirror_variable_is_a_file, TatoebaNotFoundError,
     [MIRROR_ENV, "a file, not a folder"]),
    ("mirror argument is a file", mirror_argument_is_a_file, TatoebaNotFoundError,
     ["mirror= argument", "a file, not a folder"]),
    # Issue 20, 6: settings that trained or split silently wrong
    ("fit final_lr_fraction=-1", without_files(lambda: train(final_lr_fraction=-1)), ValueError,
     ["final_lr_fraction must be a number in [0, 1]", "got -1"]),
    ("fit final_lr_fraction=nan", without_files(lambda: train(final_lr_fraction=math.nan)), ValueError,
     ["final_lr_fraction", "[0, 1]", "nan"]),
    ("split_indices NaN fraction", without_files(lambda: split_indices(
        [("a", "b"), ("c", "d")], (math.nan, 0.1, 0.1))), ValueError, ["fractions must be three finite", "nan"]),
    ("split_indices NaN validation fraction", without_files(lambda: split_indices(
        [("a", "b")], (0.9, math.nan, 0.1))), ValueError, ["finite non-negative", "summing to 1", "nan"]),

    # Issue 20, 9: token ids (out of the vocabulary, float), empty targets, max_len=0
    ("Seq2Seq source id above the vocabulary", without_files(lambda: model()(
        torch.tensor([[4, 99]]), torch.tensor([2]), torch.tensor([[1, 4]]))), ValueError,
     ["token id 99 is outside the vocabulary of size 24"]),
    ("Seq2Seq target id below 0", without_files(lambda: model()(
        SOURCE, LENGTHS, torch.tensor([[1, -3]]))), ValueError, ["target_in", "token id -3 is outside the vocabulary"]),
    ("Transformer source id above the vocabulary", without_files(lambda: tiny_transformer()(
        torch.tensor([[4, 99]]), torch.tensor([2]), torch.tensor([[1, 4]]))), ValueError,
     ["token id 99 is outside the vocabulary of size 24"]),
    ("Transformer target id above the vocabulary", without_files(lambda: tiny_transformer()(
        SOURCE, LENGTHS, torch.tensor([[1, 30]]))), ValueError, ["target_in", "token id 30 is outside"]),
    ("beam_search id above the vocabulary", without_files(lambda: beam_search(
        model(), torch.tensor([[4, 99]]), torch.tensor([2]))), ValueError, ["token id 99 is outside the vocabulary"]),
    ("Seq2Seq float target ids", without_files(lambda: model()(SOURCE, LENGTHS, torch.tensor([[1.0, 4.7]]))),
     TypeError, ["target_in must hold integer token ids", "torch.float32"]),
    ("Transformer float target ids", without_files(lambda: tiny_transformer()(
        SOURCE, LENGTHS, torch.tensor([[1.0, 4.7]]))), TypeError, ["target_in must hold integer token ids", "float32"]),
    ("translate float ids", without_files(lambda: translate(model(), [4.7, 5])), TypeError,
     ["source_ids must be int token ids", "4.7"]),
    ("Vocab.decode float ids", without_files(lambda: VOCAB.decode([4.7, 5])), TypeError,
     ["ids must be int token ids", "4.7", "float"]),
    ("Seq2Seq greedy max_len=0", without_files(lambda: model().greedy(SOURCE, LENGTHS, max_len=0)), ValueError,
     ["max_len must be a positive int", "got 0"]),
    ("Transformer greedy max_len=0", without_files(lambda: tiny_transformer().greedy(SOURCE, LENGTHS, max_len=0)),
     ValueError, ["max_len must be a positive int", "got 0"]),
    ("Seq2Seq (B, 0) target", without_files(lambda: model()(SOURCE, LENGTHS, torch.zeros(1, 0, dtype=torch.long))),
     ValueError, ["target_in is empty", "(1, 0)"]),
    ("Transformer (B, 0) target", without_files(lambda: tiny_transformer()(
        SOURCE, LENGTHS, torch.zeros(1, 0, dtype=torch.long))), ValueError, ["target_in is empty", "(1, 0)"]),
    ("sequence_loss (B, 0) targets", without_files(lambda: sequence_loss(
        torch.zeros(2, 0, 5), torch.zeros(2, 0, dtype=torch.long))), ValueError, ["targets are empty", "(2, 0)"]),
    # Issue 20, 9: the Transformer's steps
    ("self_attention float64 x, float32 weights", without_files(lambda: self_attention(
        torch.ones(1, 3, 4, dtype=F64), torch.ones(4, 4), torch.ones(4, 4), torch.ones(4, 4))), TypeError,
     ["x and W_q must have the same dtype", "torch.float64", "torch.float32"]),
    ("multi_head_attention key of another d_model", without_files(lambda: multi_head_attention(
        torch.ones(1, 2, 4), torch.ones(1, 3, 6), torch.ones(1, 3, 4), MHA)), ValueError,
     ["d_model = 4", "key (1, 3, 6)"]),
    ("multi_head_attention key and value lengths", without_files(lambda: multi_head_attention(
        torch.ones(1, 2, 4), torch.ones(1, 3, 4), torch.ones(1, 2, 4), MHA)), ValueError,
     ["key and value src_len", "key (1, 3, 4), value (1, 2, 4)"]),
    ("multi_head_attention batch sizes", without_files(lambda: multi_head_attention(
        torch.ones(2, 2, 4), torch.ones(1, 3, 4), torch.ones(1, 3, 4), MHA)), ValueError,
     ["must share batch", "query (2, 2, 4)"]),
    ("causal_mask(True)", without_files(lambda: causal_mask(True)), ValueError,
     ["length must be a positive int", "got True"]),
    ("split_heads heads=True", without_files(lambda: split_heads(torch.ones(1, 2, 4), True)), ValueError,
     ["heads must be a positive int", "got True"]),
    # Issue 20, 9: what fit is given
    ("fit an nn.Linear", without_files(lambda: train(net=torch.nn.Linear(2, 2))), TypeError,
     ["fit needs a lib.models.Seq2Seq", "got a Linear, whose forward takes (input"]),
    ("fit a function as the model", without_files(lambda: train(net=lambda source, lengths, target: None)), TypeError,
     ["fit needs a lib.models.Seq2Seq", "got function"]),
    ("fit a model returning bare logits", without_files(lambda: train(net=LogitsOnly())), TypeError,
     ["(logits, weights)", "returned a 3-D tensor"]),
    ("fit a loader of tuples", without_files(lambda: train(loader=[(torch.ones(2, 3), torch.ones(2, 3))])),
     TypeError, ["must yield lib.data.Batch", "got a tuple"]),
    ("fit evaluate returning a float", without_files(lambda: train(evaluate=lambda net: 0.5)), TypeError,
     ["evaluate must return a dict", "got float 0.5"]),
    ("fit evaluate returning NaN", without_files(lambda: train(evaluate=lambda net: {"bleu": float("nan")})),
     ValueError, ["evaluate returned bleu=nan", "must be a finite number"]),
    ("fit seed=1.5", without_files(lambda: train(seed=1.5)), ValueError, ["seed must be an int >= 0", "1.5"]),
    ("fit cache name with ../", cache_named("../escape"), ValueError, ["cache must be a plain name", "'../escape'"]),
    ("fit cache name with a separator", cache_named("ch07/dates"), ValueError, ["without '/'", "'ch07/dates'"]),
    ("cache folder that cannot be made", cache_folder_is_a_file, OSError,
     ["cannot write in the cache folder", "set ATTENTION_COURSE_CACHE to a folder you can write"]),
    # Issue 20, 9: data, text, tasks and the softmax step
    ("bucketed_loader(batch_size=0)", without_files(lambda: bucketed_loader(tiny_dataset(8), 0)), ValueError,
     ["batch_size must be an int >= 1", "got 0"]),
    ("tokenize(None)", without_files(lambda: tokenize(None, "eng")), TypeError,
     ["text must be a str", "NoneType"]),
    ("format_date of an ISO string", without_files(lambda: format_date("2026-01-01")), TypeError,
     ["date must be a datetime.date", "str '2026-01-01'", "fromisoformat"]),
    ("reversal_pairs, empty alphabet", without_files(lambda: reversal_pairs(2, alphabet="")), ValueError,
     ["alphabet must be a non-empty str", "got ''"]),
    ("reversal_vocab, empty alphabet", without_files(lambda: reversal_vocab("")), ValueError,
     ["alphabet must be a non-empty str", "got ''"]),
    ("attention_weights, a row of -inf scores", without_files(lambda: attention_weights(
        torch.tensor([[0.5, 1.0], [-math.inf, -math.inf]]))), ValueError,
     ["every score of batch row 1 is -inf", "every key of that row is masked", "NaN"]),
    ("attention_weights, -inf scores beside a mask", without_files(lambda: attention_weights(
        torch.tensor([[[-math.inf, -math.inf, 1.0]]]), torch.tensor([[True, True, False]]))), ValueError,
     ["every score of batch row 0, query 0 is -inf"]),
]


@pytest.mark.parametrize("call, error_type, words", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_gets_a_clear_error(call, error_type, words, tmp_path, monkeypatch):
    outcome = run_with_time_limit(lambda: call(tmp_path, monkeypatch))
    assert "error" in outcome, f"accepted without an error: {outcome.get('result')!r}"
    error = outcome["error"]
    assert isinstance(error, error_type), f"expected {error_type.__name__}, got {type(error).__name__}: {error}"
    missing = [word for word in words if word not in str(error)]
    assert not missing, f"the message lacks {missing}: {error}"


def test_the_table_covers_each_bad_input_once():
    names = [case[0] for case in CASES]
    assert len(names) == len(set(names)) == 79


# fit's cache in a folder it may not write, in a process that may not: root (CAP_DAC_OVERRIDE)
# writes in read-only folders, so as root the process drops that capability first (setpriv).
READ_ONLY_CACHE = """
import sys
sys.path.insert(0, sys.argv[1])
from test_bad_inputs import make_loader, model, tiny_dataset
from lib.train import fit
try:
    fit(model(), make_loader(tiny_dataset(16), 8), steps=2, progress=False, device="cpu", cache="tiny")
except PermissionError as error:
    print(error)
"""


def test_a_read_only_cache_folder_names_the_variable_to_set(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    for folder in (tmp_path / "checkpoints", tmp_path):
        folder.chmod(0o500)
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--"] \
        if os.geteuid() == 0 else []
    try:
        done = subprocess.run([*drop, sys.executable, "-c", READ_ONLY_CACHE, str(Path(__file__).parent)],
                              capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2],
                              env={**os.environ, "ATTENTION_COURSE_CACHE": str(tmp_path)})
    finally:
        for folder in (tmp_path, tmp_path / "checkpoints"):
            folder.chmod(0o700)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"cannot write in the cache folder {tmp_path / 'checkpoints'}" in done.stdout, done.stdout
    assert "set ATTENTION_COURSE_CACHE to a folder you can write" in done.stdout, done.stdout


# --- Bad inputs that must now work --------------------------------------------------------------


def test_a_tilde_in_the_cache_variable_is_the_home_folder(tmp_path, monkeypatch):
    """Was a folder named '~' in the working directory."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", "~/course-cache")
    monkeypatch.chdir(tmp_path)
    assert cache_dir() == tmp_path / "course-cache"
    run_with_time_limit(lambda: train(cache="tiny"))
    assert list((tmp_path / "course-cache" / "checkpoints").glob("tiny-*.pt")) and not (tmp_path / "~").exists()


def test_eval_every_shorter_than_log_every_trains():
    """Was an IndexError at the first evaluation (no loss logged yet to show beside it)."""
    outcome = run_with_time_limit(lambda: train(steps=4, eval_every=1, log_every=3,
                                                evaluate=lambda net: {"ok": 1.0}))
    assert "error" not in outcome, outcome.get("error")
    history = outcome["result"]
    assert [e["step"] for e in history.evals] == [1, 2, 3, 4] and history.step == [3, 4]


def test_a_vocabulary_in_extra_round_trips(tmp_path):
    source, target = Vocab("abc"), Vocab("xyz")
    net = model()
    path = save_checkpoint(tmp_path / "m.pt", net, extra={"vocabs": {"source": source, "target": target},
                                                         "both": [source, 3]})
    extra = run_with_time_limit(lambda: load_checkpoint(path, model()))["result"]["extra"]
    assert extra["vocabs"] == {"source": source, "target": target}
    assert isinstance(extra["vocabs"]["source"], Vocab) and extra["both"] == [source, 3]


def test_a_partly_masked_row_still_gets_weights():
    """Only rows with no finite score are refused: -inf beside finite scores is weight 0, as before."""
    weights = run_with_time_limit(lambda: attention_weights(
        torch.tensor([[0.0, -math.inf, 0.0]]), torch.tensor([[True, True, False]])))["result"]
    assert torch.equal(weights, torch.tensor([[1.0, 0.0, 0.0]]))


def test_a_finite_loss_is_not_stopped():
    """The NaN check must not fire on healthy training (a check that always fires is no check)."""
    history = run_with_time_limit(lambda: train(steps=4, log_every=2))["result"]
    assert all(math.isfinite(loss) for loss in history.loss) and history.step == [2, 4]


def test_the_nan_check_reads_the_loss_only_at_log_steps():
    """No host-device sync per step: the finiteness check sits on the existing read-back."""
    import inspect

    import lib.train
    loop = inspect.getsource(lib.train._train)
    assert len(re.findall(r"math\.isfinite\(", loop)) == 1
    read_back = loop.index("total_tokens = int(running_tokens)")
    assert read_back < loop.index("math.isfinite(window_loss)") < loop.index("if evaluate is not None")
