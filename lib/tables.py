"""Tables of results as text: HTML for the notebooks, Markdown for terminals and reports.

Chapters 08 and 09 show their scores with :func:`html_table` (Jupyter and the built book render it
alike; myst-nb renders a Markdown output as CommonMark, which has no tables), and
``benchmarks/translation.py`` prints them with :func:`markdown_table`. Both take a header and
rows of cells, and write every float with one decimal, so that a table reads like the prose that
quotes it; any other cell is written with ``str``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["html_table", "markdown_table"]


def _cell(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table (renders in Jupyter and in the book alike); floats with one decimal, text escaped."""
    def line(cells: Sequence[object], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}>{html.escape(_cell(c))}</{tag}>" for c in cells) + "</tr>"
    return "<table>\n" + "\n".join([line(header, "th")] + [line(row, "td") for row in rows]) + "\n</table>"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (for terminals and reports); floats with one decimal."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
