"""The published workflow, .github/workflows/book.yml, gives the README's commands what they need on
a fresh checkout: the test job runs ``bash .ci/run`` (the test command) with Chromium and
fonts-noto-cjk installed, the publish job ``bash .ci/book`` (the build command) with fonts-noto-cjk,
both on Python 3.11 after a checkout; the Tatoeba files are tracked by git, so the checkout holds
them; and the commands read them from ``data/tatoeba`` when no offline mirror lies beside the
repository, as on GitHub's machines.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from lib.tatoeba import MIRROR_ENV, PAIRS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
#: What each job must run, and the Debian packages it must have installed before.
JOBS = {"test": ("bash .ci/run", {"chromium", "fonts-noto-cjk"}), "publish": ("bash .ci/book", {"fonts-noto-cjk"})}
COMMANDS = ("test-command", "build-command")
_PACKAGE = re.compile(r"[a-z0-9][a-z0-9.+-]*")  # a Debian package name


def _job(name: str) -> dict:
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    assert name in jobs, f"{WORKFLOW.relative_to(ROOT)} has no job {name!r}; it has {sorted(jobs)}"
    return jobs[name]


def _apt_installs(script: str) -> set[str]:
    """The packages that the ``apt-get install`` commands of a shell script name."""
    packages: set[str] = set()
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        for index, word in enumerate(words[:-1]):
            if word.endswith("apt-get") and words[index + 1] == "install":
                for argument in words[index + 2:]:
                    if not argument.startswith("-"):  # an option such as -y
                        if not _PACKAGE.fullmatch(argument):
                            break  # the end of the command: >/dev/null, ), &&, ...
                        packages.add(argument)
    return packages


def _installs_what_it_lacks(job: dict) -> bool:
    """True where .ci/run can install the packages itself: it runs ``apt-get install`` when they are
    missing, which needs root in a Debian container (one whose image names its Debian release)."""
    container = job.get("container") or {}
    image = container if isinstance(container, str) else container.get("image", "")
    options = "" if isinstance(container, str) else container.get("options", "")
    return bool(re.search(r"debian|bookworm|trixie", image)) and "--user" not in options


@pytest.mark.parametrize("name", sorted(JOBS))
def test_each_job_checks_out_and_runs_its_readme_command_on_python_311(name):
    command, packages = JOBS[name]
    job = _job(name)
    steps = job["steps"]
    runs = [str(step.get("run", "")).strip() for step in steps]
    assert command in runs, f"the {name} job must run `{command}`; its steps run {runs}"
    at = runs.index(command)
    assert any(str(step.get("uses", "")).startswith("actions/checkout@") for step in steps[:at]), (
        f"the {name} job runs `{command}` without checking out the repository first")
    container = job.get("container") or {}
    image = container if isinstance(container, str) else container.get("image", "")
    assert image.startswith("python:3.11"), f"the {name} job runs in {image!r}: the README's commands need Python 3.11"
    installed = set().union(*(_apt_installs(run) for run in runs[:at]))
    missing = packages - installed
    if missing and name == "test":  # .ci/run installs chromium and fonts-noto-cjk itself where it can
        ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
        assert missing <= _apt_installs(ci_run) and _installs_what_it_lacks(job), (
            f"the test job installs {sorted(installed)} before `{command}`, not {sorted(missing)}, and .ci/run "
            "cannot install them there (it needs root in a Debian container)")
    else:
        assert not missing, f"the {name} job must install {sorted(missing)} before `{command}`; it installs " \
                            f"{sorted(installed)}"


def test_the_tatoeba_files_are_in_a_fresh_checkout():
    expected = sorted(f"data/tatoeba/{spec.name}/{spec.member}.xz" for spec in PAIRS.values())
    tracked = subprocess.run(["git", "ls-files", "--", *expected], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert sorted(tracked) == expected, f"git tracks {tracked} of {expected}: a checkout would lack the others"
    # Not ignored either (a re-added file would be dropped), and stored whole, not as a Git LFS pointer.
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "--", *expected], cwd=ROOT, capture_output=True,
                             text=True)
    assert ignored.returncode == 1 and not ignored.stdout, f".gitignore ignores {ignored.stdout.split()}"
    filters = subprocess.run(["git", "check-attr", "filter", "--", *expected], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    assert "lfs" not in filters, filters


def _mirror_part(marker: str) -> str:
    command = subprocess.run(["bash", ".ci/readme-command", marker], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    found = re.search(rf'{MIRROR_ENV}="\$\{{{MIRROR_ENV}-\$\(.*?\)\}}"', command)
    assert found, f"README.md's {marker} sets no {MIRROR_ENV}=\"${{{MIRROR_ENV}-$(...)}}\": {command}"
    return found.group(0)


def test_both_commands_choose_the_tatoeba_folder_alike():
    assert _mirror_part("test-command") == _mirror_part("build-command")


@pytest.mark.parametrize("beside", [False, True], ids=["fresh-clone", "offline-mirror-beside"])
def test_the_commands_read_the_repositorys_tatoeba_files_without_an_offline_mirror(tmp_path, beside):
    clone = tmp_path / "course"
    clone.mkdir()
    if beside:
        (tmp_path / "shared" / "data" / "tatoeba-full").mkdir(parents=True)
    environment = {key: value for key, value in os.environ.items() if key != MIRROR_ENV} | {"PWD": str(clone)}
    script = f'set -euo pipefail; export {_mirror_part("test-command")}; printf %s "${MIRROR_ENV}"'
    chosen = subprocess.run(["bash", "-c", script], cwd=clone, env=environment, capture_output=True, text=True,
                            check=True).stdout
    assert chosen == (f"{clone}/../shared/data/tatoeba-full" if beside else f"{clone}/data/tatoeba")
