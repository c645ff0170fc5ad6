"""Sphinx configuration: scikit-learn's look (the PyData theme and a
sphinx-gallery gallery of the examples, run at build time), the API reference
one page per public class, and formulas rendered by a MathJax bundled with the
built docs, so that they render without a network. Built with warnings as
errors by ``tests/test_docs.py``."""

import sklshallow

project = "sklshallow"
author = "the sklshallow developers"
release = version = sklshallow.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",  # a [source] link beside every documented object
    "sphinx_gallery.gen_gallery",
    # MathJax 3 copied into _static and used from there: no CDN, no network.
    "sphinx-mathjax-offline",
]
# The class docstrings list their own parameters and attributes.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Members are listed per class in api/: inherited sklearn methods such as
# set_fit_request refer to sklearn's own glossary.
autodoc_default_options = {}
exclude_patterns = ["_build"]
nitpicky = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": ".*",  # run every example, pictures or not
    "within_subsection_order": "FileNameSortKey",  # the lecture's order
    "doc_module": ("sklshallow",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sklshallow": None},
    "remove_config_comments": True,
    "show_memory": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklshallow {release}"
html_theme_options = {
    "logo": {"text": f"sklshallow {release}"},
    "navbar_align": "left",
    "show_toc_level": 2,
}
html_show_sourcelink = True
