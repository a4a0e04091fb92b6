"""Writing editions without destroying work: where each goes, what it may not replace.

An edition is written to ``--out/<name of its source>``. Before anything is written, every
target is checked: ``--out`` must be a folder (or not exist yet, with no file on its path), no
target may be a notebook being read (whatever the spelling of the paths: ``.``, a symlink, a hard
link; compared with :func:`os.path.samefile`), two sources may not share a target, and an
existing file is replaced only with ``--force``. Then each file is written to a temporary file
beside its target and renamed over it, so an interrupted run leaves no half-written notebook.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = ["OutputError", "targets", "write_notebook"]


class OutputError(ValueError):
    """An edition cannot be written where it was asked to go; the message says why and what to do."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return a.resolve() == b.resolve()


def _check_folder(out: Path) -> None:
    """``out`` is a folder, or can become one: no file on its path."""
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                what = "is a file" if folder == out else f"is under {folder}, which is a file"
                raise OutputError(f"--out {out} {what}, not a folder: name a folder for the editions")
            return


def targets(sources: list[Path], out: Path, *, force: bool = False) -> list[tuple[Path, Path]]:
    """``(source, target)`` for each source, target ``out / source.name``, after every check.

    Raises:
        OutputError: ``--out`` is (or is under) a file; a target is one of the sources (the
            editions would replace the instructor's notebooks); two sources have the same name;
            or a target exists and ``force`` is false.
    """
    _check_folder(out)
    planned: dict[Path, Path] = {}
    for source in sources:
        target = out / source.name
        if any(_same_file(target, s) for s in sources if s.exists()):
            raise OutputError(
                f"{source}: refusing to write its edition to {target}, which is a notebook being read "
                f"(--out {out} is the sources' folder): choose another --out folder, e.g. --out student/")
        if (twin := next((s for t, s in planned.items() if _same_file(t, target)), None)) is not None:
            raise OutputError(f"{source} and {twin} would both be written to {target}: give them separate runs")
        if (target.exists() or target.is_symlink()) and not force:
            raise OutputError(f"{target} already exists: refusing to write over it (it may hold a learner's "
                              "work); pass --force to replace it, or choose another --out folder")
        planned[target] = source
    return [(source, target) for target, source in planned.items()]


def write_notebook(nb: NotebookNode, target: Path) -> None:
    """Write ``nb`` to a temporary file beside ``target``, then rename it over ``target`` (a symlink
    at ``target`` is replaced, never written through)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            nbformat.write(nb, file)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's file is private (0600); an edition is not
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
