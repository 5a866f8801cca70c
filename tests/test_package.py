"""The package as a user meets it: import errors, public names, documentation."""

import os
import re
import shutil
import subprocess
import sys

import pytest

import fastreg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_unbuilt_checkout_says_how_to_build(tmp_path):
    # The package's Python files without their compiled kernels, as in a
    # clone before `make install`: the import names the problem and the fix
    # (it used to fail with a "circular import" message).
    package = tmp_path / "fastreg"
    package.mkdir()
    for name in os.listdir(os.path.dirname(fastreg.__file__)):
        if name.endswith(".py"):
            shutil.copy(os.path.join(os.path.dirname(fastreg.__file__), name), package)
    # -S: no site-packages, so no installed fastreg can stand in for it
    run = subprocess.run([sys.executable, "-S", "-c", "import fastreg"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode != 0
    message = run.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError: fastreg's compiled kernels are not built")
    assert "make install" in message and "circular" not in message


README = os.path.join(ROOT, "README.md")


@pytest.mark.skipif(not os.path.isfile(README), reason="README not present (wheel test)")
def test_readme_lists_every_public_name():
    text = open(README).read()
    table = text[text.index("## What is there"):text.index("## Performance")]
    listed = set(re.findall(r"`(\w+)`", table))
    missing = [name for name in fastreg.__all__ if name not in listed]
    assert not missing, "public names missing from the README's table: %s" % missing


@pytest.mark.skipif(not os.path.isfile(README), reason="README not present (wheel test)")
def test_readme_examples_run(capsys):
    import sklearn.linear_model

    blocks = re.findall(r"```python\n(.*?)```", open(README).read(), flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, README, "exec"), {})
    # the patching example restores scikit-learn's own names
    assert sklearn.linear_model.LassoCV.__module__.startswith("sklearn.")


API_PAGE = os.path.join(ROOT, "docs", "api.rst")


@pytest.mark.skipif(not os.path.isfile(API_PAGE), reason="docs not present (wheel test)")
def test_api_reference_lists_every_public_name():
    # each name of an autosummary block gets its own page in the site
    listed = set(re.findall(r"^   (\w+)$", open(API_PAGE).read(), flags=re.M))
    missing = [name for name in fastreg.__all__ if name not in listed]
    assert not missing, "public names missing from docs/api.rst: %s" % missing
