"""Exercise checks: run a learner's function against the reference and say what is wrong.

One engine (:mod:`lib.checks.engine`, :func:`check_function`) and one module per chapter
(``ch01`` ... ``ch10``). A notebook calls ``checks.check_<name>(its_function)``; the check prints
one line when the function is right, and otherwise raises :class:`ExerciseError` with one
sentence a learner can act on (IPython shows that sentence without a traceback).
"""

from __future__ import annotations

from .cases import EXAMPLE_KEYS, EXAMPLE_QUERY, EXAMPLE_WEIGHTS
from .ch01 import check_final_context
from .ch02 import check_key_mask
from .ch03 import check_dot_product_scores
from .ch04 import check_attention_weights
from .ch05 import check_weighted_values
from .ch06 import NOTES_CONTEXT, NOTES_WEIGHTED, check_context_vector, check_find_slips
from .ch07 import check_attend, check_bahdanau_step
from .ch08 import (EXAMPLE_08_KEYS, EXAMPLE_08_QUERY, EXAMPLE_08_TARGET, check_additive_scores, check_query_gradient,
                   check_scaled_dot_product_scores)
from .ch09 import check_gnmt_score
from .ch10 import check_causal_mask, check_sinusoidal_positions, check_split_heads
from .engine import NOT_IMPLEMENTED, ExerciseError, Mistake, check_function

__all__ = [
    "ExerciseError", "NOT_IMPLEMENTED", "Mistake", "check_function", "CHECKS",
    "EXAMPLE_KEYS", "EXAMPLE_QUERY", "EXAMPLE_WEIGHTS", "NOTES_WEIGHTED", "NOTES_CONTEXT",
    "EXAMPLE_08_QUERY", "EXAMPLE_08_KEYS", "EXAMPLE_08_TARGET",
    "check_final_context", "check_key_mask", "check_dot_product_scores", "check_attention_weights",
    "check_weighted_values", "check_context_vector", "check_find_slips", "check_attend",
    "check_bahdanau_step", "check_scaled_dot_product_scores", "check_additive_scores", "check_query_gradient",
    "check_gnmt_score", "check_causal_mask", "check_split_heads", "check_sinusoidal_positions",
]

#: Every learner-facing check, in reading order.
CHECKS = {
    check.__name__: check for check in (
        check_final_context, check_key_mask, check_dot_product_scores, check_attention_weights,
        check_weighted_values, check_context_vector, check_find_slips, check_attend, check_bahdanau_step,
        check_scaled_dot_product_scores, check_additive_scores, check_query_gradient, check_gnmt_score,
        check_causal_mask, check_split_heads, check_sinusoidal_positions,
    )
}
