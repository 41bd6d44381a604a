"""Sphinx configuration of the documentation site (MyST Markdown and myst-nb).

Build (CI runs it with warnings as errors):

    pip install '.[docs]' && python -m sphinx -W --keep-going -b html docs docs/_build/html

Pages generated from the code at build time (docs/_generated/, not committed, see
docs/generate_pages.py): the CLI reference from the argument parser, the limits and
exit-status tables, the certificate's JSON Schema (every proofs/schema/*.json) and an example
certificate in today's format. The tutorial notebook (docs/tutorial.ipynb) is executed at build time.
"""
from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))          # the source tree, as PYTHONPATH=src (also when not installed)
sys.path.insert(0, str(DOCS))

from generate_pages import write_generated_pages  # noqa: E402

from relu_pointwise import __version__  # noqa: E402

write_generated_pages(DOCS / "_generated", ROOT)

project = "relu-pointwise"
author = "relu-pointwise authors"
copyright = "relu-pointwise authors"
version = release = __version__

extensions = ["myst_nb", "sphinx.ext.autodoc"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "fourier_table.py"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# the tutorial runs at every build; an error in a cell fails the build
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options: dict[str, object] = {}     # members listed per directive (docs/api.md)

html_theme = "alabaster"
html_title = f"relu-pointwise {__version__}"
html_static_path: list[str] = []
