"""The documentation site as a reader sees it: built with ``mkdocs build --strict``, rendered in Chromium.

Every page of the built site is loaded in headless Chromium (Debian's ``chromium``
package, driven by Playwright) from a local HTTP server: no console error, no
page error, no failed request and no broken image may appear, and every public
name of the API has its entry in the reference. ``LAYERKIT_SCREENSHOTS`` names a
folder for a full-page screenshot of each page.

``make docs-check`` runs this module on the site ``make docs`` built
(``LAYERKIT_SITE_DIR``) and requires it to run (``LAYERKIT_REQUIRE_DOCS_CHECK=1``);
elsewhere it is skipped, saying why, when MkDocs, Playwright or Chromium are
missing.
"""

import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_docs import public_modules, public_names

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("LAYERKIT_REQUIRE_DOCS_CHECK") == "1"


def _missing(what):
    if REQUIRED:
        pytest.fail(f"the site check needs {what} (make docs-check installs the Python parts; "
                    "Chromium is Debian's `chromium` package)")
    pytest.skip(f"the site check needs {what}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site: ``$LAYERKIT_SITE_DIR``, else built here with ``mkdocs build --strict``."""
    given = os.environ.get("LAYERKIT_SITE_DIR")
    if given:
        folder = Path(given) if Path(given).is_absolute() else REPO / given
        if not (folder / "index.html").is_file():
            pytest.fail(f"LAYERKIT_SITE_DIR={given} holds no built site (run make docs)")
        return folder
    if importlib.util.find_spec("mkdocs") is None:
        _missing("MkDocs (pip install -e '.[docs]')")
    folder = tmp_path_factory.mktemp("site")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                            "--site-dir", str(folder)], cwd=REPO, capture_output=True, text=True,
                           env=dict(os.environ, NO_MKDOCS_2_WARNING="1"), timeout=600)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stdout}\n{built.stderr}"
    return folder


@pytest.fixture(scope="module")
def server(site):
    """A local HTTP server on the site, on a free port of 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if importlib.util.find_spec("playwright") is None:
        _missing("Playwright (pip install -e '.[docs-check]')")
    if not Path(CHROMIUM).is_file():
        _missing("Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def pages(site):
    """Every page of the site, as a URL path (``api/layers/``), 404 page left out."""
    return sorted(str(path.parent.relative_to(site)) + "/" if path.parent != site else ""
                  for path in site.rglob("index.html"))


BROKEN_IMAGES = """() => Array.from(document.images)
    .filter(image => !image.complete || image.naturalWidth === 0)
    .map(image => image.getAttribute("src"))"""


def render(browser, url, screenshot=None):
    """Load ``url``; return the problems seen: console errors, page errors, failed requests, broken images."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    problems = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(
        f"request failed: {request.url} ({request.failure})"))
    page.on("response", lambda response: problems.append(
        f"HTTP {response.status}: {response.url}") if response.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    problems += [f"broken image: {src}" for src in page.evaluate(BROKEN_IMAGES)]
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return problems


def test_every_page_renders_without_errors_or_broken_images(site, server, browser):
    shots = os.environ.get("LAYERKIT_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
    found = {}
    for path in pages(site):
        name = (path.strip("/").replace("/", "_") or "index") + ".png"
        problems = render(browser, f"{server}/{path}", Path(shots) / name if shots else None)
        if problems:
            found[path or "/"] = problems
    assert not found, "pages with problems:\n" + "\n".join(
        f"{page}: {problem}" for page, problems in found.items() for problem in problems)
    assert len(pages(site)) > 30


def test_the_search_finds_a_layer(site, server, browser):
    page = browser.new_page()
    page.goto(f"{server}/", wait_until="networkidle")
    page.keyboard.press("/")  # Material's shortcut to the search box
    page.keyboard.type("BatchNormalization")
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    titles = page.inner_text(".md-search-result")
    page.close()
    assert "BatchNormalization" in titles


def test_the_api_reference_has_an_entry_for_every_public_name(site):
    """Each public name has its entry, under its own name or where it is defined (a name that is
    also a submodule's), or is named on its page as another name of a documented object."""
    pages_html = {path: path.read_text(encoding="utf-8") for path in (site / "api").rglob("*.html")}
    html = "\n".join(pages_html.values())
    anchors = set(re.findall(r'id="(layerkit\.[\w.]+)"', html))
    missing = []
    for module in public_modules()[1:]:
        names = public_names(module)
        for name, obj in names:
            defined = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
            twin = [other for other, same in names if same is obj and other != name
                    and f"{module.__name__}.{other}" in anchors]
            if (f"{module.__name__}.{name}" in anchors or defined in anchors
                    or (twin and f"<code>{name}</code>" in html)):
                continue
            missing.append(f"{module.__name__}.{name}")
    assert not missing, f"public names with no entry in the API reference: {missing}"


def test_no_page_prints_a_sphinx_role(site):
    """Docstrings' ``:class:`...``` roles are rendered as code, never printed as ``:class:``."""
    role = re.compile(r":(?:class|meth|func|mod|attr|data|obj|exc):")
    printed = {str(path.relative_to(site)): len(role.findall(re.sub(r"<[^>]+>", "", path.read_text(
        encoding="utf-8")))) for path in site.rglob("*.html")}
    assert not {page: n for page, n in printed.items() if n}, printed
