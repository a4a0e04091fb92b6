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
from pathlib import Path

import torch
from torch import nn

import coursework
from coursework.isolation import isolation
from coursework.sandbox import LearnerFunction, LearnerKernel
from under_test import gone_within, running

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
    with LearnerKernel(cells, cell_timeout=30, deadline=time.monotonic() + 120) as kernel:
        runs = kernel.run()
        assert [(run.status, run.message) for run in runs] == [
            ("ok", ""), ("error", "ValueError: my bug"), ("ok", ""), ("ok", "")]
        assert kernel.lookup(["after", "attention_weights"]) == {"after": ("value", 1),
                                                                 "attention_weights": ("callable", None)}
        # The kernel does abort a request that allows it: what the grader's requests must not allow.
        assert _reply_status(kernel, "1 / 0") == "error"
        assert _reply_status(kernel, "after = 2") == "aborted"


def test_a_cell_the_kernel_did_not_run_is_not_counted_as_run(tmp_path, monkeypatch):
    with LearnerKernel(["x = 1"], cell_timeout=30, deadline=time.monotonic() + 120) as kernel:
        monkeypatch.setattr(kernel, "_execute", lambda code, limit: {"status": "aborted"})
        kernel.alive = True  # no kernel is started: _execute is replaced
        run = kernel._run_cell(0, "x = 1")
    assert (run.status, run.message) == ("error", "the kernel did not run it (its reply: aborted)")


# Each cell records what the learner's code can reach; the kernel must not be able to reach anything
# outside its folder. A marker in a detached process's command line finds it from outside.
DETACHED = "import subprocess\ndetached = subprocess.Popen(['sleep', '987.6543'], start_new_session=True).pid"
REACH = """
import os, signal
parent = os.getppid()
def attempt(action):
    try:
        action()
        return "done"
    except OSError as error:
        return type(error).__name__
wrote_course = attempt(lambda: open(COURSE, "a").write("x"))
read_hidden = attempt(lambda: open(HIDDEN).read())
wrote_here = attempt(lambda: open("mine.txt", "w").write("x"))
processes = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
signalled_everyone = attempt(lambda: os.kill(-1, signal.SIGCONT))
"""


def test_the_kernel_works_alone_in_its_folder_and_takes_everything_it_started_with_it(tmp_path):
    assert not isolation(), isolation()  # the course's machines can isolate kernels: the rest depends on it
    hidden = tmp_path / "another_learner.ipynb"
    hidden.write_text("another learner's answers", "utf-8")
    course = Path(coursework.__file__).parent / "grading.py"
    before = course.read_bytes()
    cells = [f"COURSE, HIDDEN = {str(course)!r}, {str(hidden)!r}", DETACHED, REACH]
    with LearnerKernel(cells, cell_timeout=30, deadline=time.monotonic() + 120, hidden=[hidden]) as kernel:
        assert [run.status for run in kernel.run()] == ["ok", "ok", "ok"]
        names = ["parent", "wrote_course", "read_hidden", "wrote_here", "processes", "signalled_everyone"]
        seen = {name: value for name, (_, value) in kernel.lookup(names).items()}
        assert running("987.6543"), "the detached process should run while its kernel does"
        folder = kernel.folder
        assert (folder / "mine.txt").read_text() == "x"
    assert seen["parent"] == 0  # the first process of its own PID namespace: no parent to signal
    assert seen["wrote_course"] == "OSError" and course.read_bytes() == before  # read-only file system
    assert seen["read_hidden"] == "PermissionError"
    assert seen["wrote_here"] == "done"
    assert len(seen["processes"]) <= 3, seen["processes"]  # itself, the detached sleep, perhaps ipykernel's helper
    assert gone_within("987.6543", 5), "the detached process outlived its kernel"
    assert not folder.exists()


def test_a_module_handed_to_the_learner_arrives_as_the_same_module(tmp_path):
    cells = ["import torch\ndef step(x, cell):\n    return cell(x), type(cell).__name__"]
    torch.manual_seed(0)
    cell = nn.GRUCell(3, 2)
    x = torch.randn(4, 3)
    with LearnerKernel(cells, cell_timeout=30, deadline=time.monotonic() + 120) as kernel:
        kernel.run()
        state, kind = LearnerFunction(kernel, "step", time.monotonic() + 30)(x, cell=cell)
    assert kind == "GRUCell"
    torch.testing.assert_close(state, cell(x).detach())


def test_a_cell_that_kills_the_kernel_when_run_again_is_left_out_of_the_next_kernel():
    """A cell recorded "ok" whose kill lands after its reply (os.kill of its own group) kills every
    kernel that runs it again: reviving once more without it, not failing the whole batch."""
    cells = ["x = 1", "import os\nif os.path.exists('ran-once'):\n    os._exit(1)\nopen('ran-once', 'w').close()",
             "import os\nos._exit(1)"]
    with LearnerKernel(cells, cell_timeout=30, deadline=time.monotonic() + 120) as kernel:
        assert [run.status for run in kernel.run()] == ["ok", "ok", "error"]
        assert kernel.lookup(["x"]) == {"x": ("value", 1)}
        assert [(run.status, run.message) for run in kernel.runs] == [
            ("ok", ""), ("error", "the kernel died when this cell ran again"),
            ("error", "the kernel died while this cell ran")]


def test_without_namespaces_the_kernel_still_runs_in_its_own_folder(monkeypatch):
    """Where unshare is refused (macOS, Docker's default seccomp), the kernel starts plainly, in its
    own folder; grade warns (test_grading.py)."""
    monkeypatch.setattr("coursework.sandbox.kernel_prefix", lambda folder, hidden: [])
    with LearnerKernel(["import os\nhere = os.getcwd()\nparent = os.getppid()"], cell_timeout=30,
                       deadline=time.monotonic() + 120) as kernel:
        assert [run.status for run in kernel.run()] == ["ok"]
        seen = kernel.lookup(["here", "parent"])
        assert seen["here"] == ("value", str(kernel.folder)) and seen["parent"][1] != 0


def test_the_rules_of_an_exercise_are_enforced_in_the_learners_kernel():
    """The grader's stand-in is traced where the learner's code runs: lib's own answer, handed in
    or called, and a Python loop where the exercise forbids one, are refused as in a notebook."""
    from lib import checks
    from lib.checks.engine import ExerciseError

    cells = ["import torch\nfrom lib import attention\n"
             "def attend(query, keys, mask=None):\n    return attention.attend(query, keys, mask=mask)\n"
             "def dot_product_scores(query, keys):\n"
             "    return torch.stack([k @ q for q, k in zip(query, keys)])\n"
             "def honest_scores(query, keys):\n    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)\n"]
    with LearnerKernel(cells, cell_timeout=60, deadline=time.monotonic() + 240) as kernel:
        kernel.run()
        learner = {name: LearnerFunction(kernel, name, time.monotonic() + 120)
                   for name in ("attend", "dot_product_scores", "honest_scores")}
        try:
            checks.check_attend(learner["attend"], quiet=True)
            raise AssertionError("lib.attention.attend handed in through the kernel was accepted")
        except ExerciseError as error:
            assert "runs lib.attention.attend, the library's own answer" in str(error)
        try:
            checks.check_dot_product_scores(learner["dot_product_scores"], quiet=True)
            raise AssertionError("a comprehension was accepted where the exercise says no loop")
        except ExerciseError as error:
            assert "runs a Python loop: `return torch.stack([k @ q for q, k in zip(query, keys)])`" in str(error)
        checks.check_dot_product_scores(learner["honest_scores"], quiet=True)
