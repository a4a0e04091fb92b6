"""The notebooks the coursework tests run on: every chapter with exercises, and a small fixture.

``FIXTURE`` is a small chapter built here, so the machinery is tested even before a chapter
exists and the broken copies in test_format.py are broken in known ways.
"""

from __future__ import annotations

import os
import subprocess
import time

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import coursework
from coursework import SETUP_CELL, Exercise



def solution_meta(label: str) -> dict:
    return {"nbgrader": {"grade": False, "solution": True, "locked": False, "grade_id": f"{label}-solution",
                         "schema_version": 3, "task": False}}


def check_meta(label: str, points: int) -> dict:
    return {"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": f"{label}-check",
                         "points": points, "schema_version": 3, "task": False}}


def code_exercise(label: str, solution: str, check: str, points: int) -> list:
    return [new_markdown_cell(f"```{{exercise}} Write it\n:label: {label}\nWrite the function.\n```"),
            new_markdown_cell(f"```{{solution-start}} {label}\n:class: dropdown\n```"),
            new_code_cell(solution, metadata=solution_meta(label)),
            new_markdown_cell("```{solution-end}\n```"),
            new_code_cell(check, metadata=check_meta(label, points))]


SCORES = ("def dot_product_scores(query, keys):\n    \"\"\"(B, d), (B, T, d) -> (B, T)\"\"\"\n"
          "    ### BEGIN SOLUTION\n    return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)\n"
          "    ### END SOLUTION")
WEIGHTS = ("def attention_weights(scores, mask):\n    ### BEGIN SOLUTION\n"
           "    return torch.softmax(scores.masked_fill(~mask, float('-inf')), dim=-1)\n    ### END SOLUTION")
SECRET = "the secret written answer"


def fixture() -> nbformat.NotebookNode:
    """A chapter with two checked code exercises and two written ones (one-cell and gated)."""
    cells = [new_markdown_cell("# 99. A fixture"), new_code_cell(SETUP_CELL.read_text("utf-8").strip()),
             new_code_cell("import torch\nfrom lib import checks\nx = torch.ones(2)"),
             new_code_cell("total = x.sum()"), new_markdown_cell("## Exercises")]
    cells += code_exercise("ex-99-scores", SCORES, "checks.check_dot_product_scores(dot_product_scores)", 2)
    cells += code_exercise("ex-99-weights", WEIGHTS, "checks.check_attention_weights(attention_weights)", 3)
    cells += [new_markdown_cell("```{exercise} Why\n:label: ex-99-why\nWhy?\n```"),
              new_markdown_cell(f"```{{solution}} ex-99-why\n{SECRET}\n```"),
              new_markdown_cell("```{exercise} Sum\n:label: ex-99-sum\nAdd.\n```"),
              new_markdown_cell("```{solution-start} ex-99-sum\n:class: dropdown\n```"),
              new_code_cell(f"print('{SECRET}')"), new_markdown_cell("```{solution-end}\n```"),
              new_code_cell("y = torch.zeros(3)\nprint(y.shape)")]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


FIXTURE = fixture()
CHAPTER_PATHS = coursework.chapter_notebooks()
NOTEBOOKS = {"99_fixture.ipynb": FIXTURE} | {
    p.name: nbformat.read(p, as_version=4) for p in CHAPTER_PATHS if coursework.exercises(p)}
NAMES = list(NOTEBOOKS)


def code_exercises(name: str) -> list[Exercise]:
    return [e for e in coursework.exercises(NOTEBOOKS[name]) if e.kind == "code"]


def edge_cases() -> nbformat.NotebookNode:
    solution = solution_meta("x")["nbgrader"]
    cells = [
        new_code_cell("def f():\n\t### BEGIN SOLUTION\n\treturn 1\n\t### END SOLUTION\n\ndef g():\n"
                      "    if True:\n        ### BEGIN SOLUTION\n        return 2\n        ### END SOLUTION",
                      metadata={"nbgrader": {**solution, "grade_id": "two-regions"}}),
        new_code_cell("answer = 42", metadata={"nbgrader": {**solution, "grade_id": "whole"}}),
        new_markdown_cell("Say:\n  ### BEGIN SOLUTION\n  hi\n  ### END SOLUTION",
                          metadata={"nbgrader": {**solution, "grade": True, "points": 1, "grade_id": "text"}}),
        new_markdown_cell("anything", metadata={"nbgrader": {**solution, "grade": True, "points": 1,
                                                          "grade_id": "text-whole"}}),
        new_code_cell("assert True", metadata={**check_meta("y", 1.5), "collapsed": True, "scrolled": True},
                      execution_count=3, outputs=[nbformat.v4.new_output("stream", text="out")]),
        new_code_cell("read_only = 1", metadata={"nbgrader": {"grade": False, "solution": False, "locked": True,
                                                              "grade_id": "ro", "schema_version": 3}}),
        new_code_cell("print(1)", execution_count=1, outputs=[nbformat.v4.new_output("stream", text="1")]),
    ]
    nb = new_notebook(cells=cells, metadata={"celltoolbar": "Create Assignment",
                                             "kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    return nb


def submission() -> nbformat.NotebookNode:
    """The fixture's student edition with ex-99-scores solved, its other check cell emptied."""
    nb = coursework.student_edition(FIXTURE)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "ex-99-scores-solution":
            cell.source = SCORES
        if grade_id == "ex-99-weights-check":
            cell.source = "pass  # a learner who 'fixed' the check"
    return nb


def running(marker: str) -> list[str]:
    """The pids of processes (other than this one) whose command line holds ``marker``."""
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    return [pid for pid in found if pid != str(os.getpid())]


def gone_within(marker: str, seconds: float) -> bool:
    """Whether every process holding ``marker`` has ended within ``seconds`` (a killed process
    takes a moment to go)."""
    deadline = time.monotonic() + seconds
    while running(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not running(marker)
