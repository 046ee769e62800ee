"""How the API reference reads layerkit's numpy-style docstrings (a Griffe extension).

Two things differ from numpydoc's defaults, and both are fixed before a docstring is parsed:

- layerkit heads its doctests ``Example`` (as its house style says); numpydoc's section is
  ``Examples``. Renamed, the ``>>>`` lines render as Python code instead of quoted text.
- A type written in prose (``array-like, shape (N, 2)``, ``int or None``) is kept as written
  instead of being read as a Python expression (which would print ``array - like``).
- Sphinx cross-reference roles (``:class:`~layerkit.models.Model```, ``:func:`get```), which
  Markdown does not know, become code: the name as Sphinx shows it (the last part after
  ``~``), instead of the role printed literally.
"""

import re

import griffe

_EXAMPLE_HEADING = re.compile(r"^(\s*)Example\n(\s*)-------$", flags=re.MULTILINE)
_ROLE = re.compile(r":(?:class|meth|func|mod|attr|data|obj|exc):`(~?)([^`]+)`")
_PROSE = re.compile(r"[^\w.\[\], |]|\bor\b|\bof\b|,\s*shape|-")


def _role_as_code(match):
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


class LayerkitDocstrings(griffe.Extension):
    """Rename ``Example`` sections to ``Examples``; Sphinx roles as code; prose types as text."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            value = _EXAMPLE_HEADING.sub(r"\1Examples\n\2--------", obj.docstring.value)
            obj.docstring.value = _ROLE.sub(_role_as_code, value)


def _keep_prose(parse):
    def parse_annotation(annotation, docstring, *args, **kwargs):
        if _PROSE.search(annotation):
            return annotation.replace("``", "")  # shown as code already
        return parse(annotation, docstring, *args, **kwargs)
    return parse_annotation


# The numpy parser reads types through this function; prose types are returned unparsed.
try:
    from griffe._internal.docstrings import numpy as _numpy_parser
except ImportError:  # another Griffe layout: types render as Griffe reads them
    _numpy_parser = None
if _numpy_parser is not None and hasattr(_numpy_parser, "parse_docstring_annotation"):
    _numpy_parser.parse_docstring_annotation = _keep_prose(_numpy_parser.parse_docstring_annotation)
