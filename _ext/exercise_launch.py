"""The Colab button of a chapter page opens its exercise edition; the full notebook is a second link.

sphinx-book-theme builds the launch buttons from the page's own path (``chapters/NN_*.ipynb``),
which in Colab is the instructor notebook: every solution in plain sight under its exercise. For a
page whose exercise edition exists (``exercises/NN_*.ipynb``, see ``coursework/exercise_edition.py``)
this rewrites the Colab link to that edition and adds the full notebook as "Colab (with solutions)".
It runs after the theme's own ``html-page-context`` handler (priority 501).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

EXERCISES = "exercises"


def _colab_buttons(context: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            for button in group.get("buttons", []):
                if button.get("text") == "Colab":
                    return group["buttons"], button
    return None


def _point_colab_at_exercises(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                              doctree: Any) -> None:
    name = pagename.rsplit("/", 1)[-1]
    if not pagename.startswith("chapters/") or not (Path(app.srcdir) / EXERCISES / f"{name}.ipynb").is_file():
        return
    found = _colab_buttons(context)
    if found is None:
        return
    buttons, colab = found
    full_url = colab["url"]
    suffix = f"/{pagename}.ipynb"
    if not full_url.endswith(suffix):
        raise ValueError(f"{pagename}: unexpected Colab URL {full_url!r}; expected it to end in {suffix!r}")
    colab.update(url=full_url[: -len(suffix)] + f"/{EXERCISES}/{name}.ipynb", text="Colab (exercises)",
                 tooltip="Open the exercises in Colab (solutions removed)")
    buttons.insert(buttons.index(colab) + 1, dict(colab, url=full_url, text="Colab (with solutions)",
                                                  tooltip="Open the full notebook in Colab"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _point_colab_at_exercises, priority=502)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
