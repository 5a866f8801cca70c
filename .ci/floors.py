"""Print the runtime dependencies of pyproject.toml pinned to the release
series of their declared lower bounds (``numpy>=2.0`` -> ``numpy==2.0.*``),
for a test run against the oldest versions fastreg claims to support."""

import os
import re
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
    dependencies = tomllib.load(f)["project"]["dependencies"]
pins = []
for requirement in dependencies:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", requirement)
    if not match:
        raise SystemExit("no lower bound to pin in %r" % requirement)
    pins.append("%s==%s.*" % match.groups())
print(" ".join(pins))
