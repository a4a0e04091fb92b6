"""Chapter 09's check, ``check_gnmt_score``, on the shared harness."""

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks


def gnmt_score(log_prob, length, alpha):
    return log_prob / ((5 + length) / 6) ** alpha


SPECS = [CheckSpec(checks.check_gnmt_score, "gnmt_score", gnmt_score, {
    "plain length normalisation": (lambda log_prob, length, alpha: log_prob / length ** alpha,
                                   "plain length normalisation"),
    "multiplied": (lambda log_prob, length, alpha: log_prob * ((5 + length) / 6) ** alpha,
                   "you multiplied by the penalty"),
    "alpha missing": (lambda log_prob, length, alpha: log_prob / ((5 + length) / 6), "alpha is missing"),
    "precedence": (lambda log_prob, length, alpha: log_prob / ((5 + length) / 6 ** alpha), "operator precedence"),
    "length one short": (lambda log_prob, length, alpha: log_prob / ((4 + length) / 6) ** alpha,
                         "your length is one short"),
})]


def test_shape_and_unknown_wrong_values():
    fails(checks.check_gnmt_score, lambda **case: gnmt_score(**case).unsqueeze(0), "returned shape")
    fails(checks.check_gnmt_score, lambda **case: gnmt_score(**case) + 0.5, "returned wrong values")
