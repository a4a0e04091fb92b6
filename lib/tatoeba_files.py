"""Tatoeba's files: where each language pair's text comes from, and the checks that it is the pinned file.

Each pair is one UTF-8 text file, a sentence pair a line (its format and parsing are
:mod:`lib.tatoeba`'s): ``fra-eng/fra.txt`` (11.7 MB) and ``kor-eng/kor.txt`` (0.8 MB). The course
publishes both in its repository, xz-compressed, as ``data/tatoeba/fra-eng/fra.txt.xz`` and
``data/tatoeba/kor-eng/kor.txt.xz`` (``data/tatoeba/README.md`` says where they came from). Where
:func:`read_text` gets the text, first match wins:

1. the ``mirror`` argument: a folder holding ``<pair>/<file>`` or ``<pair>/<file>.xz``
   (``fra-eng/fra.txt`` or ``fra-eng/fra.txt.xz``, the same for ``kor-eng/kor.txt``), for machines
   without internet. The repository's ``data/tatoeba`` is such a folder;
2. the environment variable ``ATTENTION_COURSE_TATOEBA_MIRROR``, the same kind of folder;
3. the cache folder (``~/.cache/attention-step-by-step/tatoeba``, or ``$ATTENTION_COURSE_CACHE/tatoeba``),
   laid out like a mirror: ``<pair>/<file>``; or, for French, ``fra-eng.zip``, d2l's zip, where an
   earlier download came from there (the cache of earlier versions of the course too);
4. a download into that cache, on first use and never again: first the course's own copy,
   :data:`COURSE_DATA_URL` ``/<pair>/<file>.xz``; for French, if that fails (it is printed, with
   the reason), d2l's stable ``fra-eng.zip``, from which (by way of a public re-zip of it) the
   course's copy was taken.

manythings.org/anki's ``kor-eng.zip`` is no longer a source: manythings replaces it in place with
each release and publishes no checksum, so it cannot be pinned, and readers and tests could read
different Korean files. A ``kor-eng.zip`` that an earlier version of the course cached is not read.

Every file is verified before use: a mirror's text (decompressed first if it is an ``.xz``) and
the cached text by their sha256, at every read; the course's copy when downloaded by the sha256 of
the ``.xz`` and then of its text; d2l's zip by its pinned sha1, and by opening it as a zip that
holds ``fra.txt`` (whose CRC reading it checks). A download is written to a temporary file, verified,
and only then renamed into place: a cut or corrupt download never stays under the real name.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import lzma
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .paths import cache_dir, writable_folder

__all__ = [
    "COURSE_DATA_URL", "MIRROR_ENV", "OFFLINE_HINT", "PAIRS", "PairSpec",
    "TatoebaError", "UnknownPairError", "TatoebaDownloadError", "TatoebaChecksumError",
    "TatoebaArchiveError", "TatoebaNotFoundError",
    "pair_spec", "course_url", "default_cache_dir", "fetch", "read_text",
]

MIRROR_ENV = "ATTENTION_COURSE_TATOEBA_MIRROR"

#: The folder of the course's copies: ``data/tatoeba`` of the repository and branch that
#: ``_config.yml`` names (tests/lib/test_tatoeba.py checks they agree). A constant, not a setting:
#: a machine that cannot reach it uses a mirror folder (:data:`MIRROR_ENV`) instead.
COURSE_DATA_URL = "https://raw.githubusercontent.com/attention-step-by-step/course/main/data/tatoeba"

# An honest name: GitHub and d2l's S3 bucket serve any client (manythings, which refused Python's
# default one, is no longer a source).
_USER_AGENT = "attention-step-by-step/0.1 (course data loader; Python urllib)"
_TIMEOUT_S = 60


@dataclass(frozen=True)
class PairSpec:
    """One language pair's text file: its name, its pins, and its second source if it has one."""

    name: str                   # manythings' name and the file's folder, e.g. "fra-eng"
    member: str                 # the text file: <name>/<member> in a mirror and the cache, <member>.xz in data/tatoeba
    text_sha256: str            # sha256 of the text file, however it arrived
    xz_sha256: str              # sha256 of the repository's data/tatoeba/<name>/<member>.xz
    direction: tuple[str, str]  # (source, target) the course translates; the file's English column is first
    zip_url: str | None = None  # a second download: a zip holding <member> at any depth
    zip_sha1: str | None = None  # that zip's pinned sha1


PAIRS: dict[str, PairSpec] = {
    # manythings' release of 2019-04-07 as d2l's stable fra-eng.zip holds it: 167,130 pairs, two columns
    # (no attribution). That zip stays a second source; its member is not pinned by sha256 (see
    # data/tatoeba/README.md), so its own sha1 pins it.
    "fra-eng": PairSpec("fra-eng", "fra.txt", "0bb85dbaa1c896844649094d7eaf2e34bee34e84fe362b26ce7e8f2e12aae104",
                        "62a66fa85205362f1043ec23087cdaca244e67c5fb82354c7e4d2d25d04ac664", ("eng", "fra"),
                        "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip",
                        "94646ad1522d915e7b0f9296181140edcf86a4f5"),
    # manythings' release of 2023-02-20: 5,749 pairs, three columns (the third the attribution).
    "kor-eng": PairSpec("kor-eng", "kor.txt", "6c9d8de3e500306997e4083274fb0038ef521651ffb2b7923e4e607a59d09dbc",
                        "9e27479974e3bed541c7394285b61c181e94fdd3c22732289172f582a6f2ce19", ("kor", "eng")),
}


# --- Errors: each says what happened and what to do about it. ---------------------------------------

class TatoebaError(Exception):
    """Base class of every error :mod:`lib.tatoeba` and this module raise on purpose."""


class UnknownPairError(TatoebaError, ValueError):
    """A pair name that is not in :data:`PAIRS`."""


class TatoebaDownloadError(TatoebaError, ConnectionError):
    """The download failed: no internet, a refusing server, a cut connection."""


class TatoebaChecksumError(TatoebaError, ValueError):
    """A file whose digest is not the pinned one."""


class TatoebaArchiveError(TatoebaError, ValueError):
    """An archive (zip or xz) that is corrupt or truncated, or a file that holds no sentence pairs."""


class TatoebaNotFoundError(TatoebaError, FileNotFoundError):
    """The file is neither in the mirror folder nor in the cache (and downloading is off)."""


OFFLINE_HINT = (f"pass mirror='path/to/tatoeba' to load_pairs()/load_splits(), or set {MIRROR_ENV}, to a "
                "folder holding fra-eng/fra.txt and kor-eng/kor.txt or their .xz, as the course repository's "
                "data/tatoeba does")
"""What to do when the files cannot be downloaded: the end of several messages."""


def pair_spec(pair: str) -> PairSpec:
    """``PAIRS[pair]``, or an error naming the pairs there are."""
    try:
        return PAIRS[pair]
    except KeyError:
        raise UnknownPairError(f"unknown Tatoeba pair {pair!r}: choose one of {sorted(PAIRS)}") from None


def course_url(spec: PairSpec) -> str:
    """Where the course publishes ``spec``'s file: ``COURSE_DATA_URL/<name>/<member>.xz``."""
    return f"{COURSE_DATA_URL}/{spec.name}/{spec.member}.xz"


def default_cache_dir() -> Path:
    """``tatoeba`` inside the course's cache folder (:func:`lib.paths.cache_dir`)."""
    return cache_dir() / "tatoeba"


def _check(data: bytes, algorithm: str, expected: str, what: str, what_to_do: str) -> None:
    got = hashlib.new(algorithm, data).hexdigest()
    if got != expected:
        raise TatoebaChecksumError(f"{what}: {algorithm} is {got}, expected {expected}. The file is corrupt, "
                                   f"truncated or a different release. {what_to_do}")


def _decode(data: bytes, origin: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TatoebaArchiveError(f"{origin} is not UTF-8 text ({error}); it is not a Tatoeba file.") from error


def _decompress(data: bytes, origin: str, what_to_do: str) -> bytes:
    try:
        return lzma.decompress(data, format=lzma.FORMAT_XZ)
    except lzma.LZMAError as error:
        raise TatoebaArchiveError(f"{origin} is not a valid xz file ({error}): it is corrupt or cut short. "
                                  f"{what_to_do}") from error


def _read_zip(archive: Path, spec: PairSpec, what_to_do: str, shown: str | None = None) -> tuple[str, str]:
    """The text of ``spec.member`` in ``archive``, checked by the pinned sha1, and its ``<zip>:<member>``
    name; ``shown`` names the zip in messages (a download's URL rather than its temporary file). The
    member is found at any depth (d2l's zip holds ``fra-eng/fra.txt``); reading it whole also checks
    its CRC."""
    shown = shown or str(archive)
    if spec.zip_sha1 is not None:
        _check(archive.read_bytes(), "sha1", spec.zip_sha1, shown, what_to_do)
    try:
        with zipfile.ZipFile(archive) as zipped:
            names = [name for name in zipped.namelist()
                     if name.rsplit("/", 1)[-1] == spec.member and not name.startswith("__MACOSX")]
            if not names:
                raise TatoebaArchiveError(f"{shown} holds no {spec.member} (it holds {zipped.namelist()[:5]}). "
                                          f"{what_to_do}")
            data = zipped.read(names[0])
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise TatoebaArchiveError(f"{shown} is not a valid zip ({error}): the download was corrupt or cut "
                                  f"short. {what_to_do}") from error
    origin = f"{shown}:{names[0]}"
    return _decode(data, origin), origin


def _read_mirror(spec: PairSpec, mirror: str | Path, named: str) -> tuple[str, str]:
    folder = Path(mirror).expanduser()
    if folder.exists() and not folder.is_dir():
        raise TatoebaNotFoundError(f"{named} points at {mirror}, a file, not a folder: set it to a folder "
                                   f"holding {spec.name}/{spec.member} or {spec.name}/{spec.member}.xz.")
    text_path = folder / spec.name / spec.member
    xz_path = text_path.with_name(spec.member + ".xz")
    what_to_do = ("Copy it again from the course repository's data/tatoeba, or unset the mirror to download "
                  "the file instead.")
    if text_path.is_file():  # the text itself is read first: it needs no decompressing
        data, origin = text_path.read_bytes(), str(text_path)
        _check(data, "sha256", spec.text_sha256, origin, what_to_do)
    elif xz_path.is_file():
        origin = str(xz_path)
        data = _decompress(xz_path.read_bytes(), origin, what_to_do)
        # The text's pin, not the .xz's: another xz version may compress the same text differently.
        _check(data, "sha256", spec.text_sha256, f"{origin}, decompressed", what_to_do)
    else:
        raise TatoebaNotFoundError(f"the Tatoeba mirror has neither {text_path} nor {xz_path}: a mirror folder "
                                   f"holds {spec.name}/{spec.member} or {spec.name}/{spec.member}.xz, like the "
                                   "course repository's data/tatoeba.")
    return _decode(data, origin), origin


def _cached(spec: PairSpec, cache: Path) -> Path | None:
    """The file the cache holds for ``spec``, unverified: the text, else d2l's zip, else None."""
    text = cache / spec.name / spec.member
    if text.is_file():
        return text
    archive = cache / f"{spec.name}.zip"
    # exists(), not is_file(): something else under that name is reported, never overwritten.
    return archive if spec.zip_url is not None and archive.exists() else None


def _read_cached(path: Path, spec: PairSpec) -> tuple[str, str]:
    what_to_do = "Delete it and run again to download it again."
    if path.suffix == ".zip":
        return _read_zip(path, spec, what_to_do)
    data = path.read_bytes()
    _check(data, "sha256", spec.text_sha256, str(path), what_to_do)
    return _decode(data, str(path)), str(path)


def read_text(pair: str, *, mirror: str | Path | None = None, cache_dir: Path | None = None,
              download: bool = True) -> tuple[str, str]:
    """The verified text of ``pair``'s file and where it came from (a path, for messages), found as the
    module docstring says; ``download=False`` forbids the network (an error if nothing is mirrored or
    cached)."""
    spec = pair_spec(pair)
    named = "the mirror= argument" if mirror is not None else f"${MIRROR_ENV}"
    mirror = mirror if mirror is not None else (os.environ.get(MIRROR_ENV) or None)
    if mirror is not None:
        return _read_mirror(spec, mirror, named)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    found = _cached(spec, cache)
    if found is None and not download:
        raise TatoebaNotFoundError(f"{spec.name} is not in the cache {cache} (no {spec.name}/{spec.member}) and "
                                   f"download=False: allow the download, or {OFFLINE_HINT}.")
    return _read_cached(found if found is not None else fetch(pair, cache_dir=cache), spec)


# --- Downloads --------------------------------------------------------------------------------------

def fetch(pair: str, *, cache_dir: Path | None = None) -> Path:
    """The verified file of ``pair`` in the cache, downloaded first if the cache has none.

    That file is ``<cache>/<name>/<member>``, the text, from the course's copy; or, for French when
    the course's copy could not be had (or an earlier version of the course cached it),
    ``<cache>/fra-eng.zip``, d2l's zip. Each source is tried in turn, the failure of one printed
    before the next is tried; when every one fails, the error names each failure.
    """
    spec = pair_spec(pair)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    found = _cached(spec, cache)
    if found is not None:
        _read_cached(found, spec)  # raises unless it is the pinned file
        return found
    writable_folder(cache, f", or {OFFLINE_HINT}")  # before any download: a clear error, not a bare one
    sources: list[tuple[str, Callable[[PairSpec, Path], Path]]] = [
        (f"the course's copy {course_url(spec)}", _fetch_course_copy)]
    if spec.zip_url is not None:
        sources.append((f"d2l's zip {spec.zip_url}", _fetch_zip))
    failures: list[TatoebaError] = []
    for index, (source, fetch_from) in enumerate(sources):
        try:
            return fetch_from(spec, cache)
        except TatoebaError as error:
            failures.append(error)
            if index + 1 < len(sources):
                print(f"{spec.name}: {source} could not be used: {error}\nTrying {sources[index + 1][0]} instead.")
    if len(failures) == 1:
        raise failures[0]
    kinds = {type(error) for error in failures}
    kind = kinds.pop() if len(kinds) == 1 else TatoebaError  # a download error only if every one was
    raise kind(f"no source of {spec.name} could be used. " + " ".join(
        f"({number}) {source}: {error}" for number, ((source, _), error) in enumerate(zip(sources, failures), 1)
    )) from failures[-1]


@contextlib.contextmanager
def _partial(folder: Path, name: str) -> Iterator[Path]:
    """A new empty temporary file in ``folder``, removed on leaving unless it was renamed away."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, partial_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(descriptor)
    try:
        yield Path(partial_name)
    finally:
        Path(partial_name).unlink(missing_ok=True)  # gone already after a successful os.replace


def _fetch_course_copy(spec: PairSpec, cache: Path) -> Path:
    """Download the course's ``.xz``, check it and its text, and store the text in the cache.

    The temporary files sit in the cache folder itself, so that a failed download leaves not even
    the pair's folder behind; ``os.replace`` within one file system is atomic.
    """
    url, target = course_url(spec), cache / spec.name / spec.member
    what_to_do = f"The download from {url} was discarded; try again later, or {OFFLINE_HINT}."
    with _partial(cache, f"{spec.name}.{spec.member}.xz") as compressed, \
            _partial(cache, f"{spec.name}.{spec.member}") as text:
        with open(compressed, "wb") as file:
            _download_into(url, file)
        downloaded = compressed.read_bytes()
        _check(downloaded, "sha256", spec.xz_sha256, url, what_to_do)
        data = _decompress(downloaded, url, what_to_do)
        _check(data, "sha256", spec.text_sha256, f"{url}, decompressed", what_to_do)
        text.write_bytes(data)
        target.parent.mkdir(exist_ok=True)
        os.replace(text, target)
    return target


def _fetch_zip(spec: PairSpec, cache: Path) -> Path:
    """Download ``spec.zip_url`` into ``<cache>/<name>.zip``, checked by its sha1 and opened."""
    assert spec.zip_url is not None, spec  # fetch() offers this source only where there is one
    archive = cache / f"{spec.name}.zip"
    with _partial(cache, f"{spec.name}.zip") as partial:
        with open(partial, "wb") as file:
            _download_into(spec.zip_url, file)
        _read_zip(partial, spec, f"The download from {spec.zip_url} was discarded; try again later, or "
                                 f"{OFFLINE_HINT}.", shown=spec.zip_url)
        os.replace(partial, archive)
    return archive


def _download_into(url: str, file: BinaryIO) -> None:
    print(f"Downloading {url} (once; it is cached afterwards)")
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                file.write(block)
    except urllib.error.HTTPError as error:  # before URLError: it is a subclass
        raise TatoebaDownloadError(f"downloading {url} failed: the server answered HTTP {error.code} "
                                   f"{error.reason}. Try again later, or {OFFLINE_HINT}.") from error
    except urllib.error.URLError as error:
        raise TatoebaDownloadError(f"could not reach {url} ({error.reason}): this machine seems to have "
                                   f"no internet access. To work offline, {OFFLINE_HINT}.") from error
    except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise TatoebaDownloadError(f"the download of {url} was cut off ({error!r}). Try again, or "
                                   f"{OFFLINE_HINT}.") from error
