"""Sphinx configuration for simple-workflow's documentation (``python -m sphinx -W -b html docs docs/_build``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "_ext"), str(HERE.parent)]

project = "simple-workflow"
author = "simple-workflow maintainers"
copyright = "2026, simple-workflow maintainers"  # noqa: A001 - Sphinx's name

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "swf_docs",
]

html_theme = "furo"
html_title = "simple-workflow"
exclude_patterns = ["_build", "examples"]
nitpicky = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Type hints name gevent's, botocore's and the standard library's classes, which have no pages here.
suppress_warnings = ["ref.python"]
