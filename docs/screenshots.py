"""Screenshots of the built documentation site in headless Chromium.

A developer's check that the site renders (theme, API pages, gallery
figures), not part of CI: it needs a Chromium browser (Debian: the
``chromium`` package). Usage, after ``make docs``::

    python docs/screenshots.py [SITE_DIR [OUT_DIR]]

(``make docs-screenshots``). SITE_DIR defaults to docs/_build/html, OUT_DIR
to docs/screenshots. Writes one PNG per page of ``PAGES``.
"""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (file name of the screenshot, page of the site, window height in pixels)
PAGES = [
    ("index.png", "index.html", 1100),
    ("api_lasso.png", "generated/fastreg.Lasso.html", 1800),
    ("gallery_lasso_cv.png", "auto_examples/plot_01_lasso_cv.html", 3300),
]
WIDTH = 1280


def find_browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("screenshots.py: no Chromium found (install the 'chromium' package)")


def main(argv):
    site = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(HERE, "_build", "html"))
    out = os.path.abspath(argv[2] if len(argv) > 2 else os.path.join(HERE, "screenshots"))
    if not os.path.isfile(os.path.join(site, "index.html")):
        sys.exit("screenshots.py: no site in %s; run `make docs` first" % site)
    os.makedirs(out, exist_ok=True)
    browser = find_browser()
    for png, page, height in PAGES:
        path = os.path.join(site, page)
        if not os.path.isfile(path):
            sys.exit("screenshots.py: missing page %s" % path)
        target = os.path.join(out, png)
        if os.path.exists(target):
            os.remove(target)
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                   "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                   "--virtual-time-budget=5000", "--window-size=%d,%d" % (WIDTH, height),
                   "--screenshot=%s" % target, "file://" + path]
        subprocess.run(command, check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not os.path.isfile(target) or os.path.getsize(target) == 0:
            sys.exit("screenshots.py: Chromium wrote no screenshot of %s" % page)
        print("%s <- %s" % (os.path.relpath(target), page))


if __name__ == "__main__":
    main(sys.argv)
