"""Tests of lib.tatoeba (parsing, splitting), lib.tatoeba_files (getting and checking the files) and
lib.text (tokenising).

No test touches the network: downloads are served by a fake ``urllib.request.urlopen`` that hands
out bytes built here or, for the course's own copies, by an HTTP server on 127.0.0.1 that serves
the repository's ``data/tatoeba``; any other request fails the test. Tests of real data read the full
files from the offline mirror ``../shared/data/tatoeba-full`` where it exists beside the repository
(the course's machines), else from the repository's own copies in ``data/tatoeba`` (a fresh clone,
as in the published workflow); where both exist, a test checks that they give the same pairs.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import lzma
import threading
import unicodedata
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import pytest
import sacrebleu
import yaml

import lib.tatoeba_files as tatoeba_files
from lib.tatoeba import (
    ATTRIBUTION, CACHE_ENV, MIRROR_ENV, PAIRS, MalformedLineError, SentencePair, Splits, TatoebaArchiveError,
    TatoebaChecksumError, TatoebaDownloadError, TatoebaError, TatoebaNotFoundError, UnknownPairError,
    default_cache_dir, direction, fetch, load_pairs, load_splits, split_indices,
)
from lib.tatoeba_files import course_url
from lib.text import KOREAN_SPACE, detokenize, normalize, tokenize

REPO = Path(__file__).resolve().parents[2]
#: The repository's own copies of the two files, xz-compressed: what the course downloads.
REPO_DATA = REPO / "data" / "tatoeba"
#: The offline mirror of the course's machines, the full text files, beside the repository.
SHARED_MIRROR = REPO.parent / "shared" / "data" / "tatoeba-full"
#: Where the tests of real data read the files.
MIRROR = SHARED_MIRROR if SHARED_MIRROR.is_dir() else REPO_DATA
#: The whole English-French file of d2l's fra-eng.zip: its line count and its pinned sha256.
FULL_FRENCH_LINES = 167_130
FULL_FRENCH_SHA256 = "0bb85dbaa1c896844649094d7eaf2e34bee34e84fe362b26ce7e8f2e12aae104"
D2L_ZIP_SHA1 = "94646ad1522d915e7b0f9296181140edcf86a4f5"

KOREAN_LINES = [
    "Go.\t가.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #8363271 (Eunhee)",
    "Hi.\t안녕.\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #8355888 (Eunhee)",
    "I am in Tokyo today.\t나는 오늘 도쿄에 있다.\t"
    "CC-BY 2.0 (France) Attribution: tatoeba.org #257596 (CK) & #11106354 (intertime)",
]
FRENCH_LINES = ["Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250 (Wittydev)",
                "Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #509819 (Aiji)"]
REAL_URLOPEN = urllib.request.urlopen


# --- Fixtures and fakes ----------------------------------------------------------------------------

@pytest.fixture
def mirror() -> Path:
    return MIRROR


@pytest.fixture(scope="module")
def french_pairs() -> list[SentencePair]:
    """The whole English-French file, parsed once for the tests that compare all of it."""
    return load_pairs("fra-eng", mirror=MIRROR)


@pytest.fixture(scope="module")
def french_splits() -> Splits:
    """The whole English-French file, tokenised and split once for the tests that read all of it
    (tokenising its 167,130 pairs takes seconds)."""
    return load_splits("fra-eng", mirror=MIRROR, seed=0)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No test may see the caller's mirror or cache settings, write to the real ~/.cache, or reach
    the network (a test that downloads installs its own opener)."""
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "default-cache-root"))
    install_opener(monkeypatch, FakeOpener(error=AssertionError("a test reached for the network")))


def repository_text(pair: str) -> bytes:
    """The text file of ``pair``, decompressed from the repository's copy."""
    spec = PAIRS[pair]
    return lzma.decompress((REPO_DATA / spec.name / f"{spec.member}.xz").read_bytes())


def text_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def zip_bytes(member: str, lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, "\n".join(lines) + "\n")
        archive.writestr("_about.txt", "** Info **\n")
    return buffer.getvalue()


def not_found(url: str) -> urllib.error.HTTPError:
    return urllib.error.HTTPError(url, 404, "Not Found", {}, None)


class FakeOpener:
    """Stands in for urllib.request.urlopen: serves ``payload`` (or raises ``error``) whatever the URL,
    or, given ``routes``, what each URL maps to (bytes, or an exception to raise); counts calls."""

    def __init__(self, payload: bytes = b"", error: Exception | None = None,
                 fail_after_bytes: int | None = None, routes: dict[str, bytes | Exception] | None = None):
        self.payload, self.error, self.fail_after_bytes, self.routes = payload, error, fail_after_bytes, routes
        self.requests: list[tuple[urllib.request.Request, float | None]] = []

    @property
    def urls(self) -> list[str]:
        return [request.full_url for request, _ in self.requests]

    def __call__(self, request, timeout=None):
        self.requests.append((request, timeout))
        if self.routes is not None:
            answer = self.routes.get(request.full_url, AssertionError(f"no route for {request.full_url}"))
            if isinstance(answer, Exception):
                raise answer
            return io.BytesIO(answer)
        if self.error is not None:
            raise self.error
        if self.fail_after_bytes is not None:
            return _BreakingResponse(self.payload[: self.fail_after_bytes])
        return io.BytesIO(self.payload)


class _BreakingResponse(io.BytesIO):
    """A response that delivers some bytes and then loses the connection."""

    def read(self, size=-1):
        data = super().read(size)
        if not data:
            raise ConnectionResetError("connection reset by peer")
        return data


def install_opener(monkeypatch, opener: Callable) -> Callable:
    monkeypatch.setattr(urllib.request, "urlopen", opener)
    return opener


def local_only(request, timeout=None):
    """The real urlopen, for 127.0.0.1 only."""
    assert urlparse(request.full_url).hostname == "127.0.0.1", f"a test reached for {request.full_url}"
    return REAL_URLOPEN(request, timeout=timeout)


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 (a free port) that serves ``folder``: its base URL, and the list of
    the paths asked for, filled as requests arrive."""
    asked: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self):
            asked.append(self.path)
            super().do_GET()

        def log_message(self, format, *args):  # noqa: A002 - the base class's name; no log on stderr
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def pin_course_copy(monkeypatch, pair: str, payload: bytes, text: bytes | None = None) -> None:
    """Point ``pair``'s pins at our fake .xz ``payload`` and its ``text`` (by default, the payload
    decompressed); the real pins are the real files'."""
    text = lzma.decompress(payload) if text is None else text
    monkeypatch.setitem(PAIRS, pair, replace(PAIRS[pair], xz_sha256=hashlib.sha256(payload).hexdigest(),
                                             text_sha256=hashlib.sha256(text).hexdigest()))


def serve_course_copy(monkeypatch, pair: str, lines: list[str]) -> FakeOpener:
    """Serve ``lines`` as ``pair``'s course copy, pinned."""
    payload = lzma.compress(text_bytes(lines), format=lzma.FORMAT_XZ)
    pin_course_copy(monkeypatch, pair, payload)
    return install_opener(monkeypatch, FakeOpener(payload))


def pin_fra_eng_zip_to(monkeypatch, payload: bytes) -> None:
    """Point the pin of d2l's zip at our fake zip (the real pin is the real zip's sha1)."""
    monkeypatch.setitem(PAIRS, "fra-eng", replace(PAIRS["fra-eng"], zip_sha1=hashlib.sha1(payload).hexdigest()))


def serve_d2l_zip_only(monkeypatch, payload: bytes | Exception) -> FakeOpener:
    """The course's copy of fra-eng answers 404; d2l's zip answers ``payload``."""
    spec = PAIRS["fra-eng"]
    return install_opener(monkeypatch, FakeOpener(routes={course_url(spec): not_found(course_url(spec)),
                                                          spec.zip_url: payload}))


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder``, temporary ones too, as paths relative to it."""
    if not folder.exists():
        return []
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


# --- Registry and pins -------------------------------------------------------------------------------

def test_registry_pins_the_course_copies_and_d2l_zip():
    french, korean = PAIRS["fra-eng"], PAIRS["kor-eng"]
    assert course_url(french) == ("https://raw.githubusercontent.com/attention-step-by-step/course/main/"
                                  "data/tatoeba/fra-eng/fra.txt.xz")
    assert course_url(korean).endswith("/data/tatoeba/kor-eng/kor.txt.xz")
    assert french.text_sha256 == FULL_FRENCH_SHA256
    assert french.xz_sha256 == "62a66fa85205362f1043ec23087cdaca244e67c5fb82354c7e4d2d25d04ac664"
    assert korean.text_sha256 == "6c9d8de3e500306997e4083274fb0038ef521651ffb2b7923e4e607a59d09dbc"
    assert korean.xz_sha256 == "9e27479974e3bed541c7394285b61c181e94fdd3c22732289172f582a6f2ce19"
    # French keeps d2l's stable zip as a second source; manythings' Korean zip cannot be pinned.
    assert (french.zip_url, french.zip_sha1) == ("http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip",
                                                 D2L_ZIP_SHA1)
    assert korean.zip_url is None and korean.zip_sha1 is None
    assert "Tatoeba" in ATTRIBUTION and "manythings.org/anki" in ATTRIBUTION and "CC-BY 2.0" in ATTRIBUTION


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_the_pins_are_those_of_the_repositorys_files(pair):
    spec = PAIRS[pair]
    compressed = (REPO_DATA / spec.name / f"{spec.member}.xz").read_bytes()
    assert hashlib.sha256(compressed).hexdigest() == spec.xz_sha256
    assert hashlib.sha256(lzma.decompress(compressed)).hexdigest() == spec.text_sha256


def test_the_course_copies_are_downloaded_from_the_books_repository():
    """The one repository and branch of _config.yml (which chapters/_setup_cell.py installs from)."""
    repository = yaml.safe_load((REPO / "_config.yml").read_text("utf-8"))["repository"]
    org_and_repo = urlparse(repository["url"]).path.strip("/")
    assert tatoeba_files.COURSE_DATA_URL == (
        f"https://raw.githubusercontent.com/{org_and_repo}/{repository['branch']}/data/tatoeba")


def test_unknown_pair_names_the_known_ones(mirror):
    with pytest.raises(UnknownPairError, match="deu-eng.*fra-eng.*kor-eng") as caught:
        load_pairs("deu-eng", mirror=mirror)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TatoebaError)


def test_direction_and_reverse(mirror, french_pairs):
    assert direction("fra-eng") == ("eng", "fra") and direction("kor-eng") == ("kor", "eng")
    assert direction("kor-eng", reverse=True) == ("eng", "kor")
    assert french_pairs[0] == SentencePair("Go.", "Va !", "")  # two columns
    assert load_pairs("kor-eng", mirror=mirror)[0].source == "가."
    assert load_pairs("kor-eng", mirror=mirror, reverse=True)[0].source == "Go."


# --- The course's copies, served and mirrored --------------------------------------------------------

def test_the_course_copies_served_over_http_give_the_mirrors_pairs(monkeypatch, tmp_path, mirror, french_pairs):
    """The repository's data/tatoeba served as the course serves it, downloaded into an empty cache."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # a proxy of the caller's must not stand in between
    install_opener(monkeypatch, local_only)
    cache = tmp_path / "cache"
    with serving(REPO_DATA) as (base_url, asked):
        monkeypatch.setattr(tatoeba_files, "COURSE_DATA_URL", base_url)
        french, korean = load_pairs("fra-eng", cache_dir=cache), load_pairs("kor-eng", cache_dir=cache)
        assert load_pairs("kor-eng", cache_dir=cache) == korean  # from the cache, not downloaded again
    assert asked == ["/fra-eng/fra.txt.xz", "/kor-eng/kor.txt.xz"]
    assert files_in(cache) == ["fra-eng/fra.txt", "kor-eng/kor.txt"]  # the verified text, nothing else
    assert french == french_pairs and korean == load_pairs("kor-eng", mirror=mirror)


def test_the_repositorys_copies_as_a_mirror_give_the_offline_mirrors_pairs(french_pairs):
    assert files_in(REPO_DATA) == ["README.md", "fra-eng/fra.txt.xz", "kor-eng/kor.txt.xz"]  # read as .xz
    if MIRROR == REPO_DATA:
        pytest.skip(f"no offline mirror at {SHARED_MIRROR} to compare the repository's data/tatoeba with")
    assert load_pairs("kor-eng", mirror=REPO_DATA) == load_pairs("kor-eng", mirror=SHARED_MIRROR)
    assert load_pairs("fra-eng", mirror=REPO_DATA) == french_pairs


def test_a_truncated_download_of_the_course_copy_is_refused_and_discarded(monkeypatch, tmp_path):
    spec = PAIRS["kor-eng"]
    truncated = (REPO_DATA / "kor-eng" / "kor.txt.xz").read_bytes()[:-1000]
    install_opener(monkeypatch, FakeOpener(truncated))
    with pytest.raises(TatoebaChecksumError) as caught:
        load_pairs("kor-eng", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert course_url(spec) in message and spec.xz_sha256 in message
    assert hashlib.sha256(truncated).hexdigest() in message and "discarded" in message and "mirror=" in message
    assert list((tmp_path / "cache").iterdir()) == []  # no partial file, not even the pair's folder


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_a_damaged_xz_is_refused_even_when_pinned(monkeypatch, tmp_path, damage):
    """Behind the pin, the decompressor's own checks: a pin made of a damaged file gives no text."""
    good = lzma.compress(text_bytes(KOREAN_LINES), format=lzma.FORMAT_XZ)
    middle = len(good) // 2
    flipped = good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1:]
    bad = good[:middle] if damage == "truncated" else flipped
    pin_course_copy(monkeypatch, "kor-eng", bad, text=text_bytes(KOREAN_LINES))
    install_opener(monkeypatch, FakeOpener(bad))
    with pytest.raises(TatoebaArchiveError, match="kor.txt.xz is not a valid xz file.*corrupt or cut short.*"
                                                  "discarded"):
        load_pairs("kor-eng", cache_dir=tmp_path / "cache")
    assert files_in(tmp_path / "cache") == []


@pytest.mark.parametrize("damage", ["truncated", "another text"])
def test_a_damaged_xz_in_a_mirror_is_refused(tmp_path, damage):
    xz_path = tmp_path / "mirror" / "kor-eng" / "kor.txt.xz"
    xz_path.parent.mkdir(parents=True)
    if damage == "truncated":
        xz_path.write_bytes((REPO_DATA / "kor-eng" / "kor.txt.xz").read_bytes()[:80_000])
        expected, words = TatoebaArchiveError, [f"{xz_path} is not a valid xz file", "cut short"]
    else:  # a valid .xz of another text
        xz_path.write_bytes(lzma.compress(text_bytes(KOREAN_LINES), format=lzma.FORMAT_XZ))
        expected = TatoebaChecksumError
        words = [f"{xz_path}, decompressed: sha256 is {hashlib.sha256(text_bytes(KOREAN_LINES)).hexdigest()}",
                 f"expected {PAIRS['kor-eng'].text_sha256}"]
    with pytest.raises(expected) as caught:
        load_pairs("kor-eng", mirror=tmp_path / "mirror")
    assert all(word in str(caught.value) for word in words + ["data/tatoeba"]), str(caught.value)


# --- The mirror -------------------------------------------------------------------------------------

def test_mirror_has_the_korean_today_sentences(mirror, french_pairs):
    pairs = load_pairs("kor-eng", mirror=mirror)
    assert len(pairs) == 5749 and len(french_pairs) == FULL_FRENCH_LINES
    today = {pair.source: pair.target for pair in pairs if pair.source.startswith("나는 오늘")}
    assert today["나는 오늘 도쿄에 있다."] == "I am in Tokyo today."
    assert len(today) >= 5


def test_mirror_from_environment_variable_and_no_download(monkeypatch, mirror):
    opener = install_opener(monkeypatch, FakeOpener(error=AssertionError("must not download")))
    monkeypatch.setenv(MIRROR_ENV, str(mirror))
    assert load_pairs("kor-eng")[2].source == "뛰어!"
    assert opener.requests == []


def test_mirror_argument_beats_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path / "nowhere"))
    assert len(load_pairs("kor-eng", mirror=REPO_DATA)) == 5749


def test_mirror_file_with_wrong_checksum_is_refused(tmp_path):
    copied = tmp_path / "mirror" / "kor-eng" / "kor.txt"
    copied.parent.mkdir(parents=True)
    copied.write_bytes(repository_text("kor-eng")[:-200])  # truncated
    with pytest.raises(TatoebaChecksumError) as caught:
        load_pairs("kor-eng", mirror=tmp_path / "mirror")
    message = str(caught.value)
    assert str(copied) in message and PAIRS["kor-eng"].text_sha256 in message
    assert hashlib.sha256(copied.read_bytes()).hexdigest() in message
    assert "Copy it again from the course repository's data/tatoeba" in message


def test_mirror_missing_the_file(tmp_path):
    (tmp_path / "fra-eng").mkdir()
    with pytest.raises(TatoebaNotFoundError, match=r"neither .*fra-eng[/\\]fra\.txt nor .*fra-eng[/\\]fra\.txt\.xz"
                                                   r".*like the course repository's data/tatoeba"):
        load_pairs("fra-eng", mirror=tmp_path)


def test_mirror_is_the_full_file_readers_download(french_pairs):
    longest = max(french_pairs, key=lambda pair: len(pair.source))
    assert len(longest.source.split()) > 40  # paragraphs, not only "Go." and "Hi."


def test_d2l_zip_as_the_second_source_gives_identical_pairs(monkeypatch, tmp_path, capsys, french_pairs):
    """The course's copy unreachable, the French text zipped as d2l zipped it, served as d2l's zip:
    the same pairs, in order, and the reader is told why the zip was used."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fra-eng/fra.txt", repository_text("fra-eng"))
    payload = buffer.getvalue()
    pin_fra_eng_zip_to(monkeypatch, payload)
    opener = serve_d2l_zip_only(monkeypatch, payload)
    downloaded = load_pairs("fra-eng", cache_dir=tmp_path / "cache")
    assert opener.urls == [course_url(PAIRS["fra-eng"]), PAIRS["fra-eng"].zip_url]
    assert downloaded == french_pairs
    printed = capsys.readouterr().out
    assert f"the course's copy {course_url(PAIRS['fra-eng'])} could not be used" in printed
    assert "HTTP 404 Not Found" in printed and f"Trying d2l's zip {PAIRS['fra-eng'].zip_url} instead" in printed


# --- Download and cache -----------------------------------------------------------------------------

def test_download_is_verified_cached_and_never_repeated(monkeypatch, tmp_path):
    opener = serve_course_copy(monkeypatch, "kor-eng", KOREAN_LINES)
    cache = tmp_path / "cache"
    first = load_pairs("kor-eng", cache_dir=cache)
    second = load_pairs("kor-eng", cache_dir=cache, download=False)
    assert first == second and first[2] == SentencePair("나는 오늘 도쿄에 있다.", "I am in Tokyo today.",
                                                        KOREAN_LINES[2].split("\t")[2])
    assert len(opener.requests) == 1
    assert files_in(cache) == ["kor-eng/kor.txt"] and (cache / "kor-eng" / "kor.txt").read_bytes() == text_bytes(
        KOREAN_LINES)


def test_download_names_the_course_and_sets_a_timeout(monkeypatch, tmp_path):
    opener = serve_course_copy(monkeypatch, "kor-eng", KOREAN_LINES)
    assert fetch("kor-eng", cache_dir=tmp_path) == tmp_path / "kor-eng" / "kor.txt"
    request, timeout = opener.requests[0]
    assert request.full_url == course_url(PAIRS["kor-eng"])
    assert request.get_header("User-agent", "").startswith("attention-step-by-step/")
    assert timeout is not None and 0 < timeout <= 300


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "root"))
    assert default_cache_dir() == tmp_path / "root" / "tatoeba"
    serve_course_copy(monkeypatch, "kor-eng", KOREAN_LINES)
    assert load_pairs("kor-eng")[2].source == "나는 오늘 도쿄에 있다."
    assert files_in(tmp_path / "root" / "tatoeba") == ["kor-eng/kor.txt"]
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_dir() == Path.home() / ".cache" / "attention-step-by-step" / "tatoeba"


def test_wrong_checksum_of_download_is_refused_and_discarded(monkeypatch, tmp_path):
    payload = lzma.compress(text_bytes(KOREAN_LINES), format=lzma.FORMAT_XZ)
    install_opener(monkeypatch, FakeOpener(payload))  # the real pin: cannot match
    with pytest.raises(TatoebaChecksumError) as caught:
        load_pairs("kor-eng", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert PAIRS["kor-eng"].xz_sha256 in message and "expected" in message
    assert hashlib.sha256(payload).hexdigest() in message and "discarded" in message
    assert files_in(tmp_path / "cache") == []  # no partial file, no bad file under the real name


def test_d2l_zip_once_downloaded_is_read_from_the_cache(monkeypatch, tmp_path):
    """Where d2l's zip was downloaded, by this version or an earlier one, it is read from the cache."""
    payload = zip_bytes("fra-eng/fra.txt", FRENCH_LINES)  # d2l's layout: the file inside a folder
    pin_fra_eng_zip_to(monkeypatch, payload)
    opener = serve_d2l_zip_only(monkeypatch, payload)
    cache = tmp_path / "cache"
    first = load_pairs("fra-eng", cache_dir=cache)
    assert load_pairs("fra-eng", cache_dir=cache, download=False) == first
    assert first[1] == SentencePair("Hi.", "Salut !", FRENCH_LINES[1].split("\t")[2])
    assert len(opener.requests) == 2  # the course's copy (404), then the zip; then no more
    assert files_in(cache) == ["fra-eng.zip"] and (cache / "fra-eng.zip").read_bytes() == payload


def test_when_both_french_sources_fail_the_error_names_each(monkeypatch, tmp_path):
    spec = PAIRS["fra-eng"]
    no_dns = urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    install_opener(monkeypatch, FakeOpener(error=no_dns))
    with pytest.raises(TatoebaDownloadError) as offline:  # only download errors: a download error
        load_pairs("fra-eng", cache_dir=tmp_path / "cache")
    message = str(offline.value)
    assert f"(1) the course's copy {course_url(spec)}: could not reach" in message
    assert f"(2) d2l's zip {spec.zip_url}: could not reach" in message and MIRROR_ENV in message
    serve_d2l_zip_only(monkeypatch, zip_bytes("fra.txt", FRENCH_LINES))  # the real sha1 pin: cannot match
    with pytest.raises(TatoebaError) as mixed:
        load_pairs("fra-eng", cache_dir=tmp_path / "cache")
    assert type(mixed.value) is TatoebaError  # neither a download nor a checksum error alone
    assert "HTTP 404 Not Found" in str(mixed.value) and f"expected {D2L_ZIP_SHA1}" in str(mixed.value)
    assert files_in(tmp_path / "cache") == []


@pytest.mark.parametrize("payload", [b"<html>403 Forbidden</html>", zip_bytes("fra.txt", FRENCH_LINES)[:-60]],
                         ids=["not-a-zip", "truncated-zip"])
def test_corrupt_or_truncated_zip_is_refused_and_discarded(monkeypatch, tmp_path, payload):
    pin_fra_eng_zip_to(monkeypatch, payload)  # the pin of a bad file: the zip's own checks must refuse it
    serve_d2l_zip_only(monkeypatch, payload)
    with pytest.raises(TatoebaError, match="HTTP 404.*fra-eng.zip is not a valid zip.*discarded"):
        load_pairs("fra-eng", cache_dir=tmp_path / "cache")
    assert files_in(tmp_path / "cache") == []


def test_zip_without_the_text_file_is_refused(monkeypatch, tmp_path):
    payload = zip_bytes("kor.txt", KOREAN_LINES)
    pin_fra_eng_zip_to(monkeypatch, payload)
    serve_d2l_zip_only(monkeypatch, payload)
    with pytest.raises(TatoebaError, match="holds no fra.txt"):
        load_pairs("fra-eng", cache_dir=tmp_path / "cache")
    assert files_in(tmp_path / "cache") == []


def test_offline_says_what_to_do(monkeypatch, tmp_path):
    no_dns = urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    install_opener(monkeypatch, FakeOpener(error=no_dns))
    with pytest.raises(TatoebaDownloadError) as caught:
        load_pairs("kor-eng", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert isinstance(caught.value, ConnectionError)
    assert "no internet" in message and "mirror=" in message and MIRROR_ENV in message
    assert "the course repository's data/tatoeba" in message
    assert files_in(tmp_path / "cache") == []


def test_http_error_names_the_status(monkeypatch, tmp_path):
    refusal = urllib.error.HTTPError(course_url(PAIRS["kor-eng"]), 403, "Forbidden", {}, None)
    install_opener(monkeypatch, FakeOpener(error=refusal))
    with pytest.raises(TatoebaDownloadError, match="HTTP 403 Forbidden"):
        load_pairs("kor-eng", cache_dir=tmp_path / "cache")


def test_connection_lost_mid_download_leaves_no_partial_file(monkeypatch, tmp_path):
    payload = lzma.compress(text_bytes(KOREAN_LINES), format=lzma.FORMAT_XZ)
    pin_course_copy(monkeypatch, "kor-eng", payload)
    install_opener(monkeypatch, FakeOpener(payload, fail_after_bytes=len(payload) // 2))
    with pytest.raises(TatoebaDownloadError, match="cut off"):
        load_pairs("kor-eng", cache_dir=tmp_path / "cache")
    assert files_in(tmp_path / "cache") == []


@pytest.mark.parametrize("pair, cached, words", [
    ("kor-eng", "kor-eng/kor.txt", ["kor.txt: sha256 is", "Delete it"]),
    ("fra-eng", "fra-eng.zip", ["fra-eng.zip: sha1 is", f"expected {D2L_ZIP_SHA1}", "Delete it"]),
])
def test_bad_cached_file_is_reported_not_overwritten(monkeypatch, tmp_path, pair, cached, words):
    opener = install_opener(monkeypatch, FakeOpener(error=AssertionError("must not download")))
    (tmp_path / cached).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / cached).write_bytes(b"PK\x03\x04 half a file")
    with pytest.raises(TatoebaChecksumError) as caught:
        load_pairs(pair, cache_dir=tmp_path)
    assert all(word in str(caught.value) for word in words), str(caught.value)
    assert opener.requests == [] and (tmp_path / cached).read_bytes() == b"PK\x03\x04 half a file"


def test_no_download_and_empty_cache(monkeypatch, tmp_path):
    opener = install_opener(monkeypatch, FakeOpener(error=AssertionError("must not download")))
    # The unpinned zip of manythings that earlier versions cached is not read.
    (tmp_path / "kor-eng.zip").write_bytes(zip_bytes("kor.txt", KOREAN_LINES))
    with pytest.raises(TatoebaNotFoundError, match="download=False.*mirror="):
        load_pairs("kor-eng", cache_dir=tmp_path, download=False)
    assert opener.requests == []


# --- Parsing ----------------------------------------------------------------------------------------

def test_malformed_line_names_file_line_and_fields(monkeypatch, tmp_path):
    serve_course_copy(monkeypatch, "kor-eng", KOREAN_LINES[:2] + ["Who? 누구? no tabs here"] + KOREAN_LINES[2:])
    with pytest.raises(MalformedLineError) as caught:
        load_pairs("kor-eng", cache_dir=tmp_path)
    message = str(caught.value)
    assert f"{tmp_path / 'kor-eng' / 'kor.txt'}, line 3" in message and "tab-separated fields" in message
    assert "got 1" in message and "Who? 누구? no tabs here" in message


def test_two_column_lines_of_older_releases_parse(monkeypatch, tmp_path):
    payload = zip_bytes("fra-eng/fra.txt", ["Go.\tVa !", "Hi.\tSalut !"])  # d2l's copy has no attribution
    pin_fra_eng_zip_to(monkeypatch, payload)
    serve_d2l_zip_only(monkeypatch, payload)
    assert load_pairs("fra-eng", cache_dir=tmp_path) == [SentencePair("Go.", "Va !", ""),
                                                         SentencePair("Hi.", "Salut !", "")]


# --- Tokenisation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, tokens", [
    ("J'ai vu l'homme.", ["j'", "ai", "vu", "l'", "homme", "."]),
    ("Aujourd'hui, quelqu'un est venu.", ["aujourd'hui", ",", "quelqu'un", "est", "venu", "."]),
    ("Qu'est-ce que c'est ?", ["qu'", "est-ce", "que", "c'", "est", "?"]),
    ("Jusqu’à demain !", ["jusqu'", "à", "demain", "!"]),            # typographic apostrophe
    ("Tu viens\u202f? Viens\u00a0! Attention\u00a0: ici\u202f;",
     ["tu", "viens", "?", "viens", "!", "attention", ":", "ici", ";"]),
    ("Peut-être 3,5 %.", ["peut-être", "3,5", "%", "."]),
])
def test_french_tokens(text, tokens):
    assert tokenize(text, "fra") == tokens


@pytest.mark.parametrize("text, tokens", [
    ("I don't know, Tom.", ["i", "don't", "know", ",", "tom", "."]),
    ('He said "Wait..." (twice)!', ["he", "said", '"', "wait", "...", '"', "(", "twice", ")", "!"]),
    ("It costs $3.50 on the 12th.", ["it", "costs", "$", "3.50", "on", "the", "12th", "."]),
])
def test_english_tokens(text, tokens):
    assert tokenize(text, "eng") == tokens
    assert detokenize(tokens, "eng") == normalize(text)


def test_normalize_folds_spaces_and_apostrophes_but_keeps_hangul_composed():
    assert normalize("  Tu viens\u202f?\u00a0Oui\u2009!  J\u2019ai ") == "tu viens ? oui ! j'ai"
    assert normalize("Tom", lowercase=False) == "Tom"
    # NFC recomposes jamo into syllables; NFKC would also turn the letter ㅋ (U+314B) into U+110F.
    assert normalize(unicodedata.normalize("NFD", "오늘 ㅋㅋ")) == "오늘 ㅋㅋ"


def test_korean_tokens_are_composed_syllables_never_jamo():
    tokens = tokenize("나는 오늘 도쿄에 있다.", "kor")
    space = KOREAN_SPACE
    assert tokens == ["나", "는", space, "오", "늘", space, "도", "쿄", "에", space, "있", "다", "."]
    decomposed = unicodedata.normalize("NFD", "나는 오늘 도쿄에 있다.")  # the same sentence as jamo
    assert len(decomposed) > 20 and tokenize(decomposed, "kor") == tokens
    assert tokenize("ㅋㅋ TV를 10시에 봤어...", "ko") == ["ㅋ", "ㅋ", space, "tv", "를", space, "10", "시", "에",
                                                          space, "봤", "어", "..."]
    assert detokenize(tokens, "kor") == "나는 오늘 도쿄에 있다."


def test_mirror_tokens_hold_no_jamo_and_survive_the_round_trip(mirror, french_splits):
    jamo = {chr(code) for code in range(0x1100, 0x1200)}
    for splits in (french_splits, load_splits("kor-eng", mirror=mirror)):
        examples = splits.train + splits.validation + splits.test  # every pair of the file
        assert len(examples) == len(load_pairs(splits.pair, mirror=mirror))
        for example in examples:  # the tokens load_splits made: tokenize(raw text)
            for tokens, text, lang in ((example.source, example.raw.source, splits.source_lang),
                                       (example.target, example.raw.target, splits.target_lang)):
                assert tokens and tokenize(detokenize(tokens, lang), lang) == tokens, text
                assert not jamo.intersection("".join(tokens)), text


def test_french_detokenize_follows_french_typography():
    tokens = tokenize("J'ai vu l'homme aujourd'hui\u202f! « Vraiment\u00a0? »", "fra")
    assert detokenize(tokens, "fra") == "j'ai vu l'homme aujourd'hui ! « vraiment ? »"


def test_detokenized_text_is_what_sacrebleu_scores():
    reference = "Je n'ai rien vu aujourd'hui\u202f!"
    hypothesis_tokens = tokenize(reference, "fra")
    hypothesis = detokenize(hypothesis_tokens, "fra")
    normalized_reference = detokenize(tokenize(reference, "fra"), "fra")  # lowercased like the hypothesis
    score = sacrebleu.corpus_bleu([hypothesis], [[normalized_reference]])
    assert score.score == pytest.approx(100.0)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language 'deu'"):
        tokenize("Hallo", "deu")


# --- Splits -----------------------------------------------------------------------------------------

def test_split_keeps_every_sentence_in_one_split():
    # The first three are one group: a source with two translations, a translation of two sources.
    keys = [("go .", "va !"), ("go .", "marche ."), ("walk .", "marche ."),
            ("hi .", "salut !"), ("hello .", "bonjour .")] + [(f"s{i}", f"t{i}") for i in range(200)]
    for seed in range(5):
        split = split_indices(keys, (0.5, 0.25, 0.25), seed)
        assert split[0] == split[1] == split[2]  # same source; a target shared across sources
        assert split == split_indices(list(keys), (0.5, 0.25, 0.25), seed)  # deterministic
    assert split_indices(keys, seed=0) != split_indices(keys, seed=1)
    sizes = [split_indices(keys, (0.5, 0.25, 0.25), 0).count(s) for s in range(3)]
    assert abs(sizes[0] - 102) <= 3 and abs(sizes[1] - 51) <= 3
    with pytest.raises(ValueError, match="summing to 1"):
        split_indices(keys, (0.8, 0.1, 0.2))


@pytest.mark.parametrize("pair", ["fra-eng", "kor-eng"])
def test_real_splits_are_deterministic_disjoint_and_sized(mirror, pair, request):
    if pair == "fra-eng":  # split once: tokenize and split_indices are deterministic (tested above)
        splits = request.getfixturevalue("french_splits")
    else:
        splits = load_splits(pair, mirror=mirror, seed=0)
        assert splits == load_splits(pair, mirror=mirror, seed=0)
    parts = (splits.train, splits.validation, splits.test)
    total = sum(len(part) for part in parts)
    assert total == len(load_pairs(pair, mirror=mirror))
    for part, fraction in zip(parts, (0.8, 0.1, 0.1)):
        assert abs(len(part) / total - fraction) < 0.02
    for side in ("source", "target"):
        sentences = [{tuple(getattr(example, side)) for example in part} for part in parts]
        train, validation, test = sentences
        assert not (train & validation or train & test or validation & test), side


def test_another_seed_draws_other_splits(mirror):
    # Korean only: the full French file takes seconds to tokenise, and the seed reaches both pairs
    # through the same split_indices (tested on its own above).
    assert load_splits("kor-eng", mirror=mirror, seed=0).train != load_splits("kor-eng", mirror=mirror, seed=1).train


def test_max_len_filters_without_moving_sentences(mirror):
    full, short = load_splits("kor-eng", mirror=mirror), load_splits("kor-eng", mirror=mirror, max_len=12)
    assert (short.source_lang, short.target_lang) == ("kor", "eng")
    assert all(len(e.source) <= 12 and len(e.target) <= 12 for e in short.train + short.validation + short.test)
    assert 0 < len(short.train) < len(full.train)
    for part in ("train", "validation", "test"):
        full_raw = {example.raw for example in getattr(full, part)}
        short_raw = {example.raw for example in getattr(short, part)}
        assert short_raw and short_raw <= full_raw, part
    with pytest.raises(ValueError, match="max_len"):
        load_splits("kor-eng", mirror=mirror, max_len=0)


def test_a_cache_that_cannot_be_written_names_the_folder_and_the_way_out(monkeypatch, tmp_path):
    opener = serve_course_copy(monkeypatch, "kor-eng", KOREAN_LINES)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # as root, a read-only folder is still writable: a file is not
    with pytest.raises(OSError, match=r"cannot write in the cache folder .*a-file/cache .*ATTENTION_COURSE_CACHE"
                                      r".*ATTENTION_COURSE_TATOEBA_MIRROR"):
        load_pairs("kor-eng", cache_dir=blocked / "cache")
    assert opener.requests == []  # refused before any download
