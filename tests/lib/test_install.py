"""``pip install .`` (not editable) into a clean virtual environment gives a working ``lib`` and
``lib.checks`` with no checkout beside it, and no ``coursework`` (the book's tooling is not installed)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import importlib.util, json, lib, lib.checks, lib.recipes, lib.train
print(json.dumps({"lib": lib.__file__, "checks": lib.checks.__file__,
                  "coursework": importlib.util.find_spec("coursework") is not None}))
"""


def test_pip_install_then_import_lib_and_checks_without_a_checkout(tmp_path):
    # A copy of what pip needs, outside the repository, so nothing can be found beside it.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # torch and the other dependencies come from this environment's site-packages (a plain path
    # entry: its .pth files, the editable install of lib among them, are not run).
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # Offline when this environment has setuptools to build with; else pip fetches it, as `pip install .` does.
    offline = ["--no-build-isolation", "--no-index"] if importlib.util.find_spec("setuptools") else []
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", *offline,
         "--ignore-installed", "--quiet", str(source)],
        capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    shutil.rmtree(source)  # installed, not linked: the copy can go
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    probe = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["lib"]).is_relative_to(site) and Path(found["checks"]).is_relative_to(site), found
    assert not found["coursework"], "coursework must not be installed with lib"
