"""A failed page stays failed until it runs cleanly: README's build command on a tiny book.

Sphinx rebuilds only the pages whose source changed. A notebook that failed to execute (a
missing data folder, say) has not changed once its cause is fixed outside it, so a plain
``jupyter-book build`` would keep the page with the traceback and report "build succeeded".
README.md's command therefore builds with ``--all`` (a fresh Sphinx environment: every page
read, so every notebook executed again). This test replays what a new user did: the build
fails, the cause is fixed, the same command runs again, and the page now holds the new result;
then what the notebook reads changes once more, and so does the page, and when it breaks again
the build fails again (the notebooks' outputs pass through myst-nb's cache, which must never
hand back an older run of unchanged code).
"""

from __future__ import annotations

import tiny_book  # tests/site/tiny_book.py

VARIABLE = "TINY_BOOK_INPUT"
NEEDS_INPUT = {"needs_input": [f"import os\nprint('the input is', os.environ['{VARIABLE}'])"]}


def test_readme_build_command_reruns_a_page_that_failed(tmp_path):
    tiny_book.make(tmp_path, NEEDS_INPUT)

    status, log = tiny_book.build(tmp_path, {VARIABLE: None})
    assert status != 0, f"the build passed although the notebook raised:\n{log[-2000:]}"
    assert "KeyError" in tiny_book.page(tmp_path, "needs_input")  # the failed page, as the user saw it

    status, log = tiny_book.build(tmp_path, {VARIABLE: "forty-two"})  # the cause fixed; nothing in the book changed
    assert status == 0, f"the rebuild failed after the cause was fixed:\n{log[-2000:]}"
    page = tiny_book.page(tmp_path, "needs_input")
    assert "the input is forty-two" in page
    assert "Traceback" not in page and "KeyError" not in page

    status, log = tiny_book.build(tmp_path, {VARIABLE: "forty-three"})  # same code, new input
    assert status == 0, log[-2000:]
    assert "the input is forty-three" in tiny_book.page(tmp_path, "needs_input")

    status, log = tiny_book.build(tmp_path, {VARIABLE: None})  # broken again: no older run may stand in
    assert status != 0, f"the build passed with a notebook that raised:\n{log[-2000:]}"
    assert "KeyError" in tiny_book.page(tmp_path, "needs_input")

