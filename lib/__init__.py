"""The shared library of *Attention, Step by Step*: what a chapter imports and teaches.

One concept a module: :mod:`lib.attention` (the six steps, the scores), :mod:`lib.data`
(vocabularies, batching), :mod:`lib.tasks` (the dates and reversal tasks), :mod:`lib.text` and
:mod:`lib.tatoeba` (real sentence pairs; their files in :mod:`lib.tatoeba_files`), :mod:`lib.models`
(encoder, decoders, seq2seq), :mod:`lib.train` (``fit``, devices, seeds; what it records in
:mod:`lib.history`, its cache in :mod:`lib.training_cache` keyed by :mod:`lib.fingerprint`,
weights in :mod:`lib.checkpoints`, runs side by side in :mod:`lib.train_many`), :mod:`lib.decoding`
(greedy and beam search, ``translate``), :mod:`lib.metrics`, :mod:`lib.translation` and
:mod:`lib.evaluation` (chapter 09), :mod:`lib.recipes` (each chapter's configuration),
:mod:`lib.plots` (with :mod:`lib.fonts` and :mod:`lib.tables`), :mod:`lib.shown` (a quoted number
printed and checked in one line), and :mod:`lib.checks` (the exercise
checks, one module per chapter). The book's tooling (student edition, grading) is ``coursework/``,
outside this package.
"""

__version__ = "0.1.0"
