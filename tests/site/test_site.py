"""The built website, in a real browser (headless Chromium driven by Playwright).

Build the book first (README.md's build command), then run
`pytest tests/site/test_site.py`. For every page of _toc.yml: it loads with no console error,
no uncaught JavaScript error, no failed request to the local server and no request to any other
(the site is served whole, MathJax included: it reads the same offline); no raw TeX (`\\(`, `\\[`,
`$$`) or Markdown table left in its text; every image loaded and has alt text or a figure
caption; each numbered chapter shows at least one plot; each notebook page has its Colab button (pointing at that notebook in the repository of
_config.yml) and its .ipynb download. The search page finds "softmax". A full-page screenshot
of each page, 1366 px and 390 px wide, is saved under _build/screenshots/.

`check_page` holds the generic checks; `test_check_page_reports_what_is_broken` breaks a
copy of the site on purpose to prove that it reports what it should.

Needs Chromium: the path in $CHROMIUM, else the system's (/usr/bin/chromium, `apt-get install -y
chromium`), else Playwright's own (`python -m playwright install chromium`); see
book_site.choose_chromium.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest


import book_site as book  # tests/site/book_site.py: the book's files, as the tests read them

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
DESKTOP_WIDTH, PHONE_WIDTH = 1366, 390  # a common laptop screen, and a phone (iPhone 12 to 15)
PAGES = book.pages()

# Chapters that must show at least one plot (an <img> in the page's article): every numbered
# chapter. Remove a name here only if that chapter really has no figure.
CHAPTERS_WITH_PLOTS = {
    "01_seq2seq_bottleneck",
    "02_keys",
    "03_query_and_scores",
    "04_softmax",
    "05_weighting",
    "06_context_vector",
    "07_concat_and_decode",
    "08_beyond_dot_product",
    "09_real_translation",
}
SEARCH_TERM = "softmax"

# Pages that play matplotlib animations (lib.animation) and how many each shows. The browser
# test clicks each one's "Next frame" button and checks that the frame on screen changes.
ANIMATED_PAGES = {"07_concat_and_decode": 2, "09_real_translation": 1}

# Alt text that only repeats a file name is no description (Sphinx writes the image's URI
# as alt when a cell sets none).
_FILENAME_ALT = re.compile(r"^[\w./-]*\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Preconditions, with messages that say what to do
# --------------------------------------------------------------------------------------------


def require_built_site(html_dir: Path) -> Path:
    if not (html_dir / "index.html").is_file():
        pytest.fail(
            f"{html_dir} has no built site: build the book first, from the repository root, "
            f"with README.md's build command:\n    {book.BUILD_COMMAND}\n"
            "then run this test again.",
            pytrace=False,
        )
    return html_dir


def require_chromium(playwright_path: str | None) -> str:
    try:
        return book.choose_chromium(os.environ.get("CHROMIUM"), playwright_path=playwright_path)
    except book.NoBrowserError as error:
        pytest.fail(str(error), pytrace=False)


# --------------------------------------------------------------------------------------------
# A local web server and a browser
# --------------------------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@contextmanager
def serve(directory: Path):
    """Serve ``directory`` on a free port of 127.0.0.1; yield its base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def site_url():
    with serve(require_built_site(book.HTML)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright for Python: pip install playwright",
                    pytrace=False)

    with sync_playwright() as playwright:
        executable = require_chromium(playwright.chromium.executable_path)
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(color_scheme="light", viewport={"width": DESKTOP_WIDTH, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(tab, name: str) -> None:
    """Full-page screenshots as a reader sees the page: ``NAME.png`` on a laptop (1366 px wide) and
    ``NAME-390.png`` on a phone (390 px), both under _build/screenshots/."""
    book.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(book.SCREENSHOTS / f"{name}.png"), full_page=True)
    desktop = tab.viewport_size
    tab.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    try:
        tab.screenshot(path=str(book.SCREENSHOTS / f"{name}-{PHONE_WIDTH}.png"), full_page=True)
    finally:
        tab.set_viewport_size(desktop)


# --------------------------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------------------------

_IMAGES_JS = """
async () => {
  const images = [...document.images];
  for (const img of images) if (img.loading === "lazy") img.loading = "eager";
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done); img.addEventListener("error", done);
    setTimeout(done, 15000);
  })));
  return images.map(img => {
    const figure = img.closest("figure");
    const caption = figure ? figure.querySelector("figcaption") : null;
    return {
      src: img.getAttribute("src") || "",
      width: img.naturalWidth,
      alt: (img.getAttribute("alt") || "").trim(),
      caption: caption ? caption.textContent.trim() : "",
    };
  });
}
"""


def _is_local(url: str) -> bool:
    return urlparse(url).hostname in LOCAL_HOSTS


def _block_external(outside: list[str]):
    """A route handler that refuses every request off the local server and notes its URL: the
    site is served whole (MathJax included, by sphinx-mathjax-offline), so a reader offline sees
    what the tests see."""
    def refuse(route) -> None:
        outside.append(route.request.url)
        route.abort("internetdisconnected")
    return refuse


# The article's text outside code, rendered math and scripts: where raw markup would show.
_PROSE_TEXT_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const article = document.querySelector('article.bd-article');
  if (!article) return '';
  const copy = article.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml').forEach(e => e.remove());
  copy.querySelectorAll('p, div, li, h1, h2, h3, h4, tr, figcaption').forEach(e => e.append('\\n'));  // lines as shown
  return copy.textContent;
}
"""
_RAW_MATH = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$")
# Two or more cells between pipes on one line: a Markdown table that was printed as text.
_RAW_TABLE = re.compile(r"^\s*\|[^|\n]*\|[^|\n]*\|", re.MULTILINE)


def raw_markup(text: str) -> list[str]:
    """Raw TeX delimiters and Markdown table rows in a page's prose, one line each (none: [])."""
    problems = []
    for match in _RAW_MATH.finditer(text):
        around = text[max(0, match.start() - 30): match.end() + 30].replace("\n", " ")
        problems.append(f"raw math {match.group()!r} on the page (MathJax did not typeset it): ...{around}...")
    for match in _RAW_TABLE.finditer(text):
        problems.append(f"a Markdown table shown as text: {match.group().strip()[:80]!r}")
    return problems


def check_page(tab, url: str) -> list[str]:
    """Load ``url`` in ``tab`` and return its problems, one readable line each (none: [])."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            problems.append(f"console error: {message.text}" + (f" (at {where})" if where else ""))

    def on_page_error(error):
        problems.append(f"uncaught JavaScript error: {error}")

    def on_request_failed(request):
        if _is_local(request.url):
            problems.append(f"failed request: {request.url} ({request.failure})")

    def on_response(response):
        if _is_local(response.url) and response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    handlers = {
        "console": on_console,
        "pageerror": on_page_error,
        "requestfailed": on_request_failed,
        "response": on_response,
    }
    for event, handler in handlers.items():
        tab.on(event, handler)
    outside: list[str] = []
    tab.route(lambda u: not _is_local(u), _block_external(outside))
    try:
        tab.goto(url, wait_until="load")
        try:
            tab.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:  # noqa: BLE001 - a page that keeps polling is not itself a problem
            pass
        problems += [f"the page asked the network for {u} (the site must work offline)"
                     for u in dict.fromkeys(outside)]
        problems += raw_markup(tab.evaluate(_PROSE_TEXT_JS))
        for image in tab.evaluate(_IMAGES_JS):
            if image["width"] == 0:
                problems.append(f"image did not load: {image['src']}")
            described = image["alt"] and not _FILENAME_ALT.match(image["alt"]) and (
                image["alt"] != image["src"].rsplit("/", 1)[-1]
            )
            if not described and not image["caption"]:
                problems.append(
                    f"image has no alt text and no figure caption: {image['src']} (in a notebook, "
                    "set the cell metadata mystnb.image.alt or mystnb.figure.caption)"
                )
    finally:
        for event, handler in handlers.items():
            tab.remove_listener(event, handler)
        tab.unroute_all()
    return problems


def check_notebook_page(tab, page_url: str, docname: str) -> list[str]:
    """The Colab button and the .ipynb download of a notebook page already loaded in ``tab``."""
    problems: list[str] = []
    expected = book.repository().colab_links(docname)
    colab = list(dict.fromkeys(tab.eval_on_selector_all(
        'a[href*="colab.research.google.com"]', "links => links.map(a => a.href)"
    )))
    if colab != expected:
        problems.append(f"Colab links are {colab or 'missing'}, expected {expected!r} (the exercise "
                        "edition first, then the full notebook)")

    downloads = tab.eval_on_selector_all(
        'a[href$=".ipynb"]:not([href^="http"])', "links => links.map(a => a.getAttribute('href'))"
    )
    own = [href for href in downloads if href.endswith(f"_sources/{docname}.ipynb")]
    if not own:
        problems.append(f"no .ipynb download link to _sources/{docname}.ipynb (found {downloads})")
    else:
        response = tab.request.get(urljoin(page_url, own[0]))
        if response.status != 200:
            problems.append(f".ipynb download {own[0]} answers HTTP {response.status}")
        else:
            try:
                cells = json.loads(response.body())["cells"]
            except (ValueError, KeyError) as error:
                problems.append(f".ipynb download {own[0]} is not a notebook: {error!r}")
            else:
                if not cells:
                    problems.append(f".ipynb download {own[0]} has no cells")
    return problems


def content_image_count(tab) -> int:
    return tab.eval_on_selector_all("article.bd-article img", "images => images.length")


_FRAME_JS = "player => player.querySelector('img').getAttribute('src') || ''"


def check_animations(tab, url: str, expected: int) -> list[str]:
    """Load ``url``; click every animation's "Next frame" and "Previous frame" buttons and
    report a frame that does not change, a missing player, or a console or JavaScript error."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    def on_page_error(error):
        problems.append(f"uncaught JavaScript error: {error}")

    tab.on("console", on_console)
    tab.on("pageerror", on_page_error)
    tab.route(lambda u: not _is_local(u), _block_external([]))
    try:
        tab.goto(url, wait_until="load")
        players = tab.locator("article.bd-article div.animation")
        if players.count() != expected:
            problems.append(f"{players.count()} animations on the page, expected {expected}")
        for index in range(players.count()):
            player = players.nth(index)
            player.scroll_into_view_if_needed()
            tab.wait_for_function("p => p.querySelector('img').getAttribute('src')", arg=player.element_handle())
            player.locator('button[title="Pause"]').click()
            player.locator('button[title="First frame"]').click()
            first = player.evaluate(_FRAME_JS)
            player.locator('button[title="Next frame"]').click()
            second = player.evaluate(_FRAME_JS)
            player.locator('button[title="Previous frame"]').click()
            back = player.evaluate(_FRAME_JS)
            if not first.startswith("data:image/png"):
                problems.append(f"animation {index + 1} shows no embedded frame (src {first[:40]!r})")
            if second == first:
                problems.append(f"animation {index + 1}: clicking 'Next frame' did not change the frame")
            if back != first:
                problems.append(f"animation {index + 1}: 'Previous frame' did not return to the first frame")
    finally:
        tab.remove_listener("console", on_console)
        tab.remove_listener("pageerror", on_page_error)
        tab.unroute_all()
    return problems


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", PAGES, ids=[p.docname for p in PAGES])
def test_page(entry, site_url, page):
    html = book.HTML / entry.html
    assert html.is_file(), (
        f"{entry.html} was not built: is {entry.docname}.ipynb/.md there, and did the build pass?"
    )
    url = urljoin(site_url, entry.html)
    problems = check_page(page, url)
    screenshot(page, entry.name)
    if entry.is_notebook:
        problems += check_notebook_page(page, url, entry.docname)
    if entry.name in CHAPTERS_WITH_PLOTS:
        count = content_image_count(page)
        if count < 1:
            problems.append("no plot: a numbered chapter should show at least one figure")
    assert not problems, f"{entry.html}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", sorted(ANIMATED_PAGES))
def test_animations_step_on_the_site(name, site_url, page):
    entry = next(p for p in PAGES if p.name == name)
    problems = check_animations(page, urljoin(site_url, entry.html), ANIMATED_PAGES[name])
    assert not problems, f"{entry.html}:\n  " + "\n  ".join(problems)


def test_search_finds_softmax(site_url, page):
    problems = check_page(page, urljoin(site_url, f"search.html?q={SEARCH_TERM}"))
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(state="attached", timeout=30_000)
    screenshot(page, "search")
    assert results.count() >= 1, f"searching for {SEARCH_TERM!r} found nothing"
    assert not problems, "search.html:\n  " + "\n  ".join(problems)


def test_every_page_of_the_toc_is_checked():
    assert PAGES[0].docname == str(book.toc()["root"])
    assert len({p.docname for p in PAGES}) == len(PAGES), "a page is listed twice in _toc.yml"


# --------------------------------------------------------------------------------------------
# The checker can fail
# --------------------------------------------------------------------------------------------

_IMG_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"')


def _page_with_local_image(html_root: Path) -> tuple[Path, str]:
    """The first page of the toc with an image we serve (a plot if there is one)."""
    candidates: list[tuple[Path, str]] = []
    for entry in PAGES:
        path = html_root / entry.html
        if not path.is_file():
            continue
        for src in _IMG_SRC.findall(path.read_text(encoding="utf-8")):
            if not urlparse(src).scheme and (path.parent / src).is_file():
                candidates.append((path, src))
    plots = [c for c in candidates if "_images/" in c[1]]
    if plots or candidates:
        return (plots or candidates)[0]
    # No image anywhere yet: add one to the root page.
    path = html_root / PAGES[0].html
    (html_root / "_images").mkdir(exist_ok=True)
    (html_root / "_images" / "made_by_test.png").write_bytes(b"placeholder")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('<article class="bd-article">',
                     '<article class="bd-article"><img alt="made by the test" src="_images/made_by_test.png">', 1),
        encoding="utf-8",
    )
    return path, "_images/made_by_test.png"


def test_check_page_reports_what_is_broken(tmp_path, page):
    html = tmp_path / "html"
    shutil.copytree(require_built_site(book.HTML), html)
    target, src = _page_with_local_image(html)

    # 1. an image that does not decode
    (target.parent / src).resolve().write_bytes(b"this is not an image")
    # 2. a script that logs an error, and 3. an image without alt text or caption
    logo = os.path.relpath(html / "_static" / "images" / "logo_colab.png", target.parent)
    text = target.read_text(encoding="utf-8")
    text = text.replace(
        "</body>",
        "<script>console.error('injected by test_check_page_reports_what_is_broken')</script></body>",
        1,
    )
    text = text.replace(
        '<article class="bd-article">', f'<article class="bd-article"><img src="{logo}">', 1
    )
    # 4. a request off the local server, 5. math that MathJax cannot typeset (its script is gone),
    # 6. a Markdown table as text
    text = text.replace(
        '<article class="bd-article">',
        '<article class="bd-article"><img alt="made by the test" src="https://cdn.example.org/made.png">'
        '<p>the weight <span class="math notranslate nohighlight">\\(\\alpha_t\\)</span> left raw</p>'
        '<p>| score | exact match |\n|---|---|\n| dot | 1.0 |</p>', 1
    )
    target.write_text(text, encoding="utf-8")
    (html / "_static" / "mathjax" / "tex-chtml.js").unlink()

    with serve(html) as url:
        problems = check_page(page, urljoin(url, target.relative_to(html).as_posix()))

    name = src.rsplit("/", 1)[-1]
    assert any(p.startswith("image did not load") and name in p for p in problems), problems
    assert any(
        p.startswith("console error") and "injected by test_check_page" in p for p in problems
    ), problems
    assert any(p.startswith("image has no alt text") and p.split(": ", 1)[1].startswith(logo) for p in problems), problems
    assert "the page asked the network for https://cdn.example.org/made.png (the site must work offline)" in problems
    assert any(p.startswith("raw math '\\\\('") and "the weight" in p for p in problems), problems
    assert any(p.startswith("a Markdown table shown as text: '| score | exact match |'") for p in problems), problems


def test_raw_markup_is_found_in_prose_and_not_in_plain_text():
    assert raw_markup("the weights sum to 1, and |q| is the length of q") == []
    assert [p.split(" ")[2] for p in raw_markup("\\(k_t\\) and \\[x\\] and $$y$$")] == [
        "'\\\\('", "'\\\\)'", "'\\\\['", "'\\\\]'", "'$$'", "'$$'"]
    assert raw_markup("| score | parameters |\n|—|—|") != []


def test_check_animations_reports_a_frozen_player(tmp_path, page):
    html = tmp_path / "html"
    shutil.copytree(require_built_site(book.HTML), html)
    name = sorted(ANIMATED_PAGES)[0]
    target = html / next(p for p in PAGES if p.name == name).html
    text = target.read_text(encoding="utf-8")
    assert ".next_frame()" in text, f"{target.name} has no animation player"
    target.write_text(text.replace(".next_frame()", ".pause_animation()"), encoding="utf-8")
    with serve(html) as url:
        problems = check_animations(page, urljoin(url, target.relative_to(html).as_posix()), ANIMATED_PAGES[name])
    assert any("'Next frame' did not change the frame" in p for p in problems), problems


def test_missing_site_fails_with_the_build_command(tmp_path):
    with pytest.raises(pytest.fail.Exception) as failure:
        require_built_site(tmp_path / "_build" / "html")
    assert "build the book first" in str(failure.value)
    assert book.BUILD_COMMAND in str(failure.value)
