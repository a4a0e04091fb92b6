"""Which Chromium the browser tests drive (book_site.choose_chromium), without launching one."""

from __future__ import annotations

import stat

import pytest

import book_site as book  # tests/site/book_site.py


def _binary(path):
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_system_chromium_comes_first(tmp_path):
    system, downloaded = _binary(tmp_path / "chromium"), _binary(tmp_path / "playwright-chrome")
    assert book.choose_chromium(None, (str(tmp_path / "absent"), system), downloaded) == system


def test_playwright_s_own_browser_without_a_system_one(tmp_path):
    downloaded = _binary(tmp_path / "playwright-chrome")
    assert book.choose_chromium(None, (str(tmp_path / "absent"),), downloaded) == downloaded
    assert book.choose_chromium("", (str(tmp_path / "absent"),), downloaded) == downloaded  # CHROMIUM=


def test_chromium_variable_wins_and_must_exist(tmp_path):
    chosen, system = _binary(tmp_path / "mine"), _binary(tmp_path / "chromium")
    assert book.choose_chromium(chosen, (system,), None) == chosen
    with pytest.raises(book.NoBrowserError, match=r"\$CHROMIUM is .*not a runnable file") as failure:
        book.choose_chromium(str(tmp_path / "typo"), (system,), None)
    assert "python -m playwright install chromium" in str(failure.value)


def test_no_browser_names_both_ways_to_get_one(tmp_path):
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    with pytest.raises(book.NoBrowserError) as failure:
        book.choose_chromium(None, (str(not_executable),), str(tmp_path / "ms-playwright" / "chrome"))
    message = str(failure.value)
    assert "no Chromium found" in message and str(tmp_path / "ms-playwright" / "chrome") in message
    assert "python -m playwright install chromium" in message
    assert "apt-get install -y chromium" in message
