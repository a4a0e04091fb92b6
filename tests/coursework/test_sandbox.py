"""The learner's kernel runs every cell, whatever the cell before it did.

ipykernel replies to a cell that raised, and only then starts aborting the execute requests that
reach it (``stop_on_error``), until a message it posts to itself resets the flag. A grader that
sends the next cell as soon as the reply arrives can, under load, get that cell back "aborted",
unrun: the learner's next function is then missing and its exercise scores 0 (seen in
test_grading_class under two pytest workers). The first cell below puts the kernel in the worst
case of that race, aborting every request after an error that allows it.
"""

from __future__ import annotations

import time

from coursework.sandbox import LearnerKernel

ABORT_AFTER_EVERY_ERROR = """
kernel = get_ipython().kernel
def _abort_queues(*args, **kwargs):
    kernel._aborting = True  # never reset: every later request that allows it is aborted
kernel._abort_queues = _abort_queues
"""


def _reply_status(kernel: LearnerKernel, code: str, **options: object) -> str:
    asked = kernel._client.execute(code, store_history=False, **options)
    while True:
        reply = kernel._client.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == asked:
            return reply["content"]["status"]


def test_a_cell_after_one_that_raised_runs_even_when_the_kernel_aborts_after_errors(tmp_path):
    cells = [ABORT_AFTER_EVERY_ERROR, "raise ValueError('my bug')", "after = 1", "def attention_weights(): pass"]
    with LearnerKernel(cells, tmp_path, cell_timeout=30, deadline=time.monotonic() + 120) as kernel:
        runs = kernel.run()
        assert [(run.status, run.message) for run in runs] == [
            ("ok", ""), ("error", "ValueError: my bug"), ("ok", ""), ("ok", "")]
        assert kernel.lookup(["after", "attention_weights"]) == {"after": ("value", 1),
                                                                 "attention_weights": ("callable", None)}
        # The kernel does abort a request that allows it: what the grader's requests must not allow.
        assert _reply_status(kernel, "1 / 0") == "error"
        assert _reply_status(kernel, "after = 2") == "aborted"


def test_a_cell_the_kernel_did_not_run_is_not_counted_as_run(tmp_path, monkeypatch):
    with LearnerKernel(["x = 1"], tmp_path, cell_timeout=30, deadline=time.monotonic() + 120) as kernel:
        monkeypatch.setattr(kernel, "_execute", lambda code, limit: {"status": "aborted"})
        kernel.alive = True  # no kernel is started: _execute is replaced
        run = kernel._run_cell(0, "x = 1")
    assert (run.status, run.message) == ("error", "the kernel did not run it (its reply: aborted)")
