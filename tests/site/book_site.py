"""What the book's configuration says: the pages of _toc.yml, the repository of _config.yml.

Shared by tests/site/test_colab_setup.py and tests/site/test_site.py, which load it by file path: it
is not imported as a package, so that a folder named ``site`` never shadows the standard
library's ``site`` module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
SETUP_CELL = ROOT / "chapters" / "_setup_cell.py"
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"

README = ROOT / "README.md"


def readme_command(marker: str) -> str | None:
    """The command in README.md's fenced block after ``<!-- marker -->`` (as .ci/ reads it)."""
    if not README.is_file():
        return None
    lines = README.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(f"<!-- {marker} -->")
    except ValueError:
        return None
    inside = False
    for line in lines[start + 1:]:
        if line.startswith("```"):
            if inside:
                return None
            inside = True
        elif inside and line.strip():
            return line.strip()
    return None


BUILD_COMMAND = readme_command("build-command") or "jupyter-book build . -W --keep-going --all"


def config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def toc() -> dict:
    return yaml.safe_load(TOC.read_text(encoding="utf-8"))


def _files(entries: list[dict]) -> list[str]:
    out: list[str] = []
    for entry in entries or []:
        if "file" in entry:
            out.append(str(entry["file"]))
        for key in ("parts", "chapters", "sections"):
            out.extend(_files(entry.get(key)))
    return out


def docnames(include_root: bool = True) -> list[str]:
    """Every page of _toc.yml in reading order, as Sphinx docnames (no suffix)."""
    data = toc()
    names = [str(data["root"])] if include_root else []
    names += _files([{k: v for k, v in data.items() if k in ("parts", "chapters", "sections")}])
    return [n.removesuffix(".ipynb").removesuffix(".md") for n in names]


@dataclass(frozen=True)
class Page:
    docname: str  # "chapters/04_softmax"

    @property
    def name(self) -> str:  # "04_softmax"
        return self.docname.rsplit("/", 1)[-1]

    @property
    def source(self) -> Path | None:
        """The .ipynb or .md file of this page, or None when neither exists."""
        for suffix in (".ipynb", ".md"):
            path = ROOT / (self.docname + suffix)
            if path.exists():
                return path
        return None

    @property
    def is_notebook(self) -> bool:
        return self.source is not None and self.source.suffix == ".ipynb"

    @property
    def is_numbered_chapter(self) -> bool:
        """01_... to 09_...: the notebooks of the course, each with its setup cell and plots."""
        return self.docname.startswith("chapters/") and self.name[:2].isdigit()

    @property
    def html(self) -> str:  # "chapters/04_softmax.html"
        return self.docname + ".html"


def pages(include_root: bool = True) -> list[Page]:
    return [Page(d) for d in docnames(include_root)]


@dataclass(frozen=True)
class Repository:
    url: str  # https://github.com/attention-step-by-step/course
    branch: str  # main
    path_to_book: str  # ""

    @property
    def org_and_repo(self) -> str:  # attention-step-by-step/course
        return urlparse(self.url).path.strip("/").removesuffix(".git")

    def colab_url(self, docname: str, colab: str = "https://colab.research.google.com") -> str:
        """The Colab link jupyter-book should render for a notebook page."""
        prefix = self.path_to_book.strip("/")
        path = f"{prefix}/{docname}.ipynb" if prefix else f"{docname}.ipynb"
        return f"{colab.rstrip('/')}/github/{self.org_and_repo}/blob/{self.branch}/{path}"

    def colab_links(self, docname: str) -> list[str]:
        """The Colab links a page should carry: for a chapter with an exercise edition
        (``exercises/NN_*.ipynb``), that edition and the full notebook (_ext/exercise_launch.py);
        for any other notebook page, the notebook itself."""
        name = docname.rsplit("/", 1)[-1]
        full = self.colab_url(docname)
        if docname.startswith("chapters/") and (ROOT / "exercises" / f"{name}.ipynb").is_file():
            return [self.colab_url(f"exercises/{name}"), full]
        return [full]

    @property
    def pip_requirement(self) -> str:  # git+https://github.com/attention-step-by-step/course@main
        return f"git+{self.url}@{self.branch}"


def repository() -> Repository:
    repo = config()["repository"]
    return Repository(str(repo["url"]).rstrip("/"), str(repo["branch"]), str(repo.get("path_to_book") or ""))


# --------------------------------------------------------------------------------------------
# Which browser the site tests drive
# --------------------------------------------------------------------------------------------

#: Where Debian/Ubuntu, Fedora and Homebrew-less Macs keep a system Chromium or Chrome.
SYSTEM_CHROMIUMS = (
    "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)

HOW_TO_GET_A_BROWSER = (
    "Get one of two ways:\n"
    "    python -m playwright install chromium      (Playwright's own Chromium; any system)\n"
    "    apt-get update && apt-get install -y chromium      (the system's, on Debian/Ubuntu)\n"
    "or set $CHROMIUM to the path of a Chromium or Chrome binary."
)


class NoBrowserError(RuntimeError):
    """No Chromium to drive: the message says how to get one."""


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def choose_chromium(env_value: str | None, system_paths: tuple[str, ...] = SYSTEM_CHROMIUMS,
                    playwright_path: str | None = None) -> str:
    """The Chromium binary to launch: ``$CHROMIUM`` if set, else the system's, else Playwright's own.

    Args:
        env_value: ``$CHROMIUM`` (None when unset); set, it must be a runnable file.
        system_paths: where a system Chromium may be, first found wins.
        playwright_path: ``playwright.chromium.executable_path`` (where Playwright's download
            would be; it may not exist yet).

    Raises:
        NoBrowserError: none of them is there; the message names both ways to get one.
    """
    if env_value:
        if not _runnable(env_value):
            raise NoBrowserError(f"$CHROMIUM is {env_value}, which is not a runnable file. "
                                 + HOW_TO_GET_A_BROWSER)
        return env_value
    for path in system_paths:
        if _runnable(path):
            return path
    if playwright_path and _runnable(playwright_path):
        return playwright_path
    raise NoBrowserError(
        f"no Chromium found: not at {', '.join(system_paths)}, and Playwright's own is not "
        f"installed{f' (expected at {playwright_path})' if playwright_path else ''}. "
        + HOW_TO_GET_A_BROWSER
    )
