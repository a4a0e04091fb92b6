"""The shared library of *Attention, Step by Step*: what a chapter imports and teaches.

One concept a module: :mod:`lib.attention` (the six steps, the scores), :mod:`lib.data`
(vocabularies, batching), :mod:`lib.tasks` (the dates and reversal tasks), :mod:`lib.text` and
:mod:`lib.tatoeba` (real sentence pairs; their files in :mod:`lib.tatoeba_files`), :mod:`lib.models`
(encoder, decoders, seq2seq), :mod:`lib.train` (``fit``, devices, checkpoints; its cache key in
:mod:`lib.fingerprint`, its folder in :mod:`lib.paths`), :mod:`lib.decoding` (greedy and beam
search, ``translate``), :mod:`lib.metrics`, :mod:`lib.translation` (chapter 09), :mod:`lib.recipes`
(each chapter's configuration), :mod:`lib.plots`, and :mod:`lib.checks` (the exercise checks, one
module per chapter). The book's tooling (student edition, grading) is ``coursework/``, outside this
package.
"""

__version__ = "0.1.0"
