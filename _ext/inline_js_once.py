"""Include each inline ``<script>`` once: a local Sphinx extension for Sphinx < 8.3.

Sphinx 7.4 (the newest that Jupyter Book 1.x runs on) writes every inline script that an
extension adds after the builder starts (``app.add_js_file(None, body=...)``) twice: once
as added, with ``filename=None``, and once more from the registry, with ``filename=''``, and
the two do not compare equal. sphinx-thebe's ``const THEBE_JS_URL = ...`` then throws
"Identifier 'THEBE_JS_URL' has already been declared" on every page (tests/site/test_site.py
reports it). This is the fix of https://github.com/sphinx-doc/sphinx/pull/13402: hand the
builder ``''`` instead of ``None``, so the second copy is recognised as the first.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _normalise_inline_js(app: Sphinx) -> None:
    builder = app.builder
    add_js_file = getattr(builder, "add_js_file", None)
    if add_js_file is None or getattr(add_js_file, "_inline_js_once", False):
        return

    def add_js_file_once(filename: str | None, **kwargs: Any) -> None:
        add_js_file("" if filename is None else filename, **kwargs)

    add_js_file_once._inline_js_once = True  # type: ignore[attr-defined]
    builder.add_js_file = add_js_file_once  # type: ignore[method-assign]


def setup(app: Sphinx) -> dict[str, Any]:
    # Before any other builder-inited handler (sphinx-togglebutton adds an inline script there).
    app.connect("builder-inited", _normalise_inline_js, priority=0)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
