"""nbgrader itself releases exactly our student edition and autogrades it."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat

import coursework
from lib.checks import NOT_IMPLEMENTED
from under_test import NOTEBOOKS, submission


def _nbgrader(course, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_nbgrader_releases_our_student_edition_and_autogrades_it(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'course'\n")
    for name, nb in NOTEBOOKS.items():
        (tmp_path / "source" / "ps").mkdir(parents=True, exist_ok=True)
        nbformat.write(coursework.nbgrader_source(nb), tmp_path / "source" / "ps" / name)
    _nbgrader(tmp_path, "generate_assignment", "ps")
    for name, nb in NOTEBOOKS.items():
        assert nbformat.read(tmp_path / "release" / "ps" / name, as_version=4) == coursework.student_edition(nb)
    # autograde runs whole notebooks, training included: the fixture only (nbgrader skips the rest)
    solved = submission()
    (tmp_path / "submitted" / "ada" / "ps").mkdir(parents=True)
    nbformat.write(solved, tmp_path / "submitted" / "ada" / "ps" / "99_fixture.ipynb")
    _nbgrader(tmp_path, "autograde", "ps")
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        grades = {g.name: g.score for n in gradebook.find_submission("ps", "ada").notebooks
                  for g in n.grades if n.name == "99_fixture"}
    assert grades == {"ex-99-scores-check": 2.0, "ex-99-weights-check": 0.0}
    graded = nbformat.read(tmp_path / "autograded" / "ada" / "ps" / "99_fixture.ipynb", as_version=4)
    assert NOT_IMPLEMENTED in json.dumps([c.outputs for c in graded.cells if c.cell_type == "code"])
