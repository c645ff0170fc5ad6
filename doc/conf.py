"""Sphinx configuration: API reference from the numpydoc docstrings, and a
user guide that follows the lecture. Built with warnings as errors by
``tests/test_docs.py``."""

import sklshallow

project = "sklshallow"
author = "the sklshallow developers"
release = version = sklshallow.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc", "sphinx.ext.mathjax"]
# The class docstrings list their own parameters and attributes.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Members are listed per class in api.rst: inherited sklearn methods such as
# set_fit_request refer to sklearn's own glossary.
autodoc_default_options = {}
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
