"""Print an extra of pyproject.toml (``docs`` unless named), one requirement
per word.

``make docs`` (and ``make lint``, with ``lint``) installs these into the
environment that already holds the built package, so that the kernels are
not compiled a second time (as a ``pip install -e ".[docs]"`` would do)."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "pyproject.toml")
EXTRA = sys.argv[1] if len(sys.argv) > 1 else "docs"

try:
    import tomllib
except ImportError:  # Python 3.10: read the list itself
    text = open(PATH).read()
    block = re.search(rf"^{EXTRA}\s*=\s*\[(.*?)\]", text, flags=re.S | re.M).group(1)
    requirements = re.findall(r'"([^"]+)"', block)
else:
    with open(PATH, "rb") as f:
        requirements = tomllib.load(f)["project"]["optional-dependencies"][EXTRA]
print(" ".join(requirements))
