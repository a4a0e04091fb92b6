"""The shared library of *Attention, Step by Step*.

One concept a module: :mod:`lib.attention` (the six steps), :mod:`lib.data` (vocabularies,
the dates and length-controlled tasks, batching), :mod:`lib.models` (encoder, decoders,
seq2seq), :mod:`lib.train` (``fit``, devices, checkpoints), :mod:`lib.metrics`,
:mod:`lib.plots`, :mod:`lib.checks` (the exercise checks), :mod:`lib.coursework` and
:mod:`lib.grading` (student edition, validation, grading), :mod:`lib.tatoeba` and :mod:`lib.text`
(real sentence pairs), :mod:`lib.decoding` (greedy and beam search), :mod:`lib.translation`.
"""

__version__ = "0.1.0"
