"""Where a learner's kernel runs: a namespace of its own, a read-only machine, one writable folder.

Grading runs many learners' code one after another on one machine, as one user. What one
submission's code must not do: reach the grader (signal it, stop it, rewrite the instructor's
notebook it is about to read), reach another submission (leave a process behind that writes into
the next one's folder, read another's notebook), or outlive its own grading. So on Linux each
kernel starts inside ``unshare`` (util-linux), as the first process of

* a **PID namespace** of its own: it sees and can signal only its own processes (``os.getppid()``
  is 0 there), and when it ends, or the grader kills it, the kernel of the machine kills every
  process in the namespace, detached ones (``start_new_session=True``) included;
* a **mount namespace** in which every file system is read-only except the submission's own
  temporary folder (its working folder, ``HOME`` and ``TMPDIR``), and the batch's other
  submissions are hidden;
* a **user namespace** that maps the grading user to root inside, so that no privilege is needed
  to set this up; the kernel then runs with every capability dropped (``setpriv``), so that it
  cannot mount its way back to a writable file system.

Where namespaces cannot be made (not Linux; a container whose seccomp profile forbids
``unshare``, as Docker's default does), :func:`isolation` says why and the kernel runs as the
grading user in its own session and folder: then only a container keeps submissions apart
(``chapters/instructors.md``). What no mode stops: reading what the grading user may read (the
course, the installed packages: it is all read-only to the learner), using the network, and
using the CPU and memory until its time limit.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["isolation", "kernel_prefix", "kernel_environment"]

#: Run inside the new namespaces as their first process, before ``exec`` of the kernel: the
#: folder stays writable (a mount of its own), everything else becomes read-only, the paths
#: given after ``--`` are hidden under an empty read-only file, and every capability is dropped.
_SETUP = r'''
set -e
folder=$1; shift
mount --bind "$folder" "$folder"
cd "$folder"  # the working folder, as now mounted (the kernel started in the one beneath)
mount -o remount,bind,ro /
for mountpoint in $(awk '$2 != "/" && $2 != "/proc" && $4 ~ /(^|,)rw(,|$)/ {print $2}' /proc/self/mounts); do
    [ "$mountpoint" = "$folder" ] && continue
    mount -o remount,bind,ro "$mountpoint" 2>/dev/null || true
done
while [ "$1" != "--" ]; do
    [ -e "$1" ] && mount --bind "$folder/.hidden" "$1"
    shift
done
shift
exec setpriv --bounding-set=-all --inh-caps=-all --no-new-privs -- "$@"
'''

# setpriv --pdeathsig: the namespace dies with the grader too (the thread that started it), so that
# a grader killed from outside leaves no learner code running.
_UNSHARE = ["setpriv", "--pdeathsig", "KILL", "unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount-proc"]


@functools.lru_cache(maxsize=1)
def isolation() -> str:
    """"" where kernels run in namespaces; else one sentence that says why not and what follows."""
    if not sys.platform.startswith("linux"):
        reason = f"this is {sys.platform}, not Linux"
    else:
        try:
            probe = subprocess.run([*_UNSHARE, "sh", "-c", _SETUP, "setup", "/tmp", "--", "true"],
                                   capture_output=True, text=True, timeout=30)
            reason = "" if probe.returncode == 0 else \
                f"unshare failed ({(probe.stderr.strip().splitlines() or ['exit %d' % probe.returncode])[-1]})"
        except (OSError, subprocess.TimeoutExpired) as error:
            reason = f"unshare could not run ({error})"
    if not reason:
        return ""
    return (f"learners' kernels are not isolated: {reason}. Each still runs in a folder and a process "
            "group of its own, killed when it ends, but its code can reach the grading user's files "
            "and processes, and a process it detaches can outlive it: grade a class you do not trust in the container "
            "of chapters/instructors.md")


def kernel_prefix(folder: Path, hidden: list[Path]) -> list[str]:
    """The command that starts a kernel isolated in ``folder`` (``[]`` where :func:`isolation`
    says it cannot be): the kernel's own command follows it."""
    if isolation():
        return []
    (folder / ".hidden").touch(mode=0o000)
    paths = [str(Path(p).resolve()) for p in hidden]
    return [*_UNSHARE, "sh", "-c", _SETUP, "setup", str(folder), *paths, "--"]


def kernel_environment(folder: Path) -> dict[str, str]:
    """The kernel's environment: the grader's, less the training cache's folder (each submission
    trains into its own), with every per-user folder inside ``folder``."""
    environment = {k: v for k, v in os.environ.items() if k != "ATTENTION_COURSE_CACHE"}
    environment.update({name: str(folder) for name in ("HOME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR",
                                                       "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "JUPYTER_RUNTIME_DIR")})
    environment["PYTHONNOUSERSITE"] = "1"
    return environment

