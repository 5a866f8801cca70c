"""Sphinx configuration of fastreg's documentation site.

Build with ``make docs`` (HTML in ``docs/_build/html``). The build is offline:
no inventory is fetched unless ``FASTREG_DOCS_INTERSPHINX=1`` is set, and the
gallery under ``examples/`` is executed on every build.
"""

import os
import re
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import fastreg  # noqa: E402

project = "fastreg"
author = "The fastreg developers"
copyright = "2026, The fastreg developers"
version = release = fastreg.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

if os.environ.get("FASTREG_DOCS_INTERSPHINX") == "1":
    # Links into NumPy's, SciPy's and scikit-learn's sites; needs the network.
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
    }

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "screenshots", "requirements.py", "screenshots.py", "Thumbs.db",
                    ".DS_Store", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json"]

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# the validation that the build enforces: every section that numpydoc parses
# must be well formed (numpydoc turns a malformed one into a warning, and -W
# into an error)
numpydoc_validation_checks = set()

# The methods a reference page documents: those of the estimator API. The
# rest (metadata-routing helpers such as ``set_fit_request``, ``__init__``)
# are scikit-learn's machinery and documented there.
DOCUMENTED_METHODS = {
    "fit", "partial_fit", "predict", "predict_proba", "predict_log_proba",
    "decision_function", "score", "densify", "sparsify",
    "get_params", "set_params",
}


def _skip_member(app, what, name, obj, skip, options):
    if what == "class":
        return name not in DOCUMENTED_METHODS
    return skip


_REF = re.compile(r":ref:`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _plain_foreign_refs(app, what, name, obj, options, lines):
    # Docstrings inherited from scikit-learn (score, get_params, ...) point at
    # labels of scikit-learn's own site: keep their text, drop the link.
    if getattr(obj, "__module__", "").startswith("sklearn"):
        lines[:] = [_REF.sub(lambda m: m.group(1), line) for line in lines]


_HEADER = re.compile(r"^(\s*\**\w+ : )(.*)$")
_TRAILING = re.compile(r"(?<![`\w])([a-z]\w*_)(?![`\w])")


def _literal_trailing_underscores(app, what, name, obj, options, lines):
    # In a parameter's or attribute's type ("ndarray of shape
    # (n_features_in_,)"), a name that ends with "_" would be read as a link
    # target by reStructuredText: show it as a literal.
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            lines[i] = match.group(1) + _TRAILING.sub(r"``\1``", match.group(2))


def setup(app):
    app.connect("autodoc-process-docstring", _literal_trailing_underscores, priority=90)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _plain_foreign_refs, priority=100)


# -- MyST (docs/internals.md) -----------------------------------------------
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings = ["myst.xref_missing"]

# -- sphinx-gallery ----------------------------------------------------------
# Every example runs on each build. FASTREG_DOCS_QUICK=1 (CI) keeps them all
# running but lets an example shrink its loops (examples read it through
# ``os.environ``).
sphinx_gallery_conf = {
    "examples_dirs": os.path.join(ROOT, "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"fastreg": None},
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("fastreg",),
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "plot_gallery": "True",
}

warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "fastreg %s" % release
html_static_path = []
html_theme_options = {
    "navbar_align": "left",
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
