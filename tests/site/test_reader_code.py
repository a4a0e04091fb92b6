"""How much of the code a reader sees is scaffolding: `assert` lines, per chapter and in all.

A chapter checks every number its prose quotes, but the checks should not crowd out the lesson:
a check folds into the line that computes the number (``lib.shown.show``), invariants and
error-path demonstrations live in ``tests/``, and a cell that only checks is tagged
``remove-input``. The code a reader sees is every non-blank, non-comment line of a code cell
the site shows (not tagged ``remove-input`` or ``remove-cell``), solutions included.
"""

from __future__ import annotations

import nbformat
import pytest

import book_site as book  # tests/site/book_site.py: the book's files, as the tests read them

MAX_ASSERT_SHARE = 0.05
HIDDEN_INPUT = {"remove-input", "remove-cell"}
CHAPTERS = [p for p in book.pages(include_root=False) if p.is_notebook]


def reader_code_lines(notebook: nbformat.NotebookNode) -> list[str]:
    """The code lines the site shows, stripped: no blank lines, no comment lines."""
    lines = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or HIDDEN_INPUT & set(cell.metadata.get("tags", [])):
            continue
        lines += [line.strip() for line in cell.source.splitlines()
                  if line.strip() and not line.strip().startswith("#")]
    return lines


def is_assert(line: str) -> bool:
    return line.startswith("assert ") or line.startswith("assert(")


def test_reader_code_lines_skip_hidden_cells_blank_lines_and_comments():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1\n\n# why\nassert x == 1"),
        nbformat.v4.new_code_cell("assert False", metadata={"tags": ["remove-input"]}),
        nbformat.v4.new_markdown_cell("assert nothing"),
    ])
    assert reader_code_lines(notebook) == ["x = 1", "assert x == 1"]
    assert [is_assert(line) for line in ["assert x", "assert(x)", "asserted = 1", "x  # assert"]] == [
        True, True, False, False]


def test_at_most_five_percent_of_the_code_a_reader_sees_is_assert_lines():
    rows, total, asserts = [], 0, 0
    for page in CHAPTERS:
        lines = reader_code_lines(nbformat.read(page.source, as_version=4))
        count = sum(map(is_assert, lines))
        rows.append((page.docname, count, len(lines)))
        total, asserts = total + len(lines), asserts + count
    table = "\n".join(f"  {name:<40} {count:>4} / {lines:>4} = {count / max(lines, 1):6.1%}"
                      for name, count, lines in rows)
    summary = f"assert lines among the code lines a reader sees:\n{table}\n  {'all':<40} " \
              f"{asserts:>4} / {total:>4} = {asserts / max(total, 1):6.1%}"
    print(summary)
    over = [name for name, count, lines in rows if count > MAX_ASSERT_SHARE * lines]
    assert total > 0 and not over, (
        f"{', '.join(over)}: more than {MAX_ASSERT_SHARE:.0%} assert lines. Fold a check into the line "
        f"that computes the number (lib.shown.show), move invariants to tests/, or tag a cell that only "
        f"checks remove-input.\n{summary}")
