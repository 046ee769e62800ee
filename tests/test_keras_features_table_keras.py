"""docs/keras_features.md against Keras 3 itself: every public name has a row, and a "yes" is Keras's.

The table is built from Keras's export lists; this module checks it still covers them:
every public name of each ``keras.<module>`` a section names appears in one of that
section's rows, and no row names something Keras does not export. For each row marked
``yes`` whose layerkit object is a class or a function, Keras's named arguments come first
in layerkit's signature, in Keras's order, with Keras's defaults.
"""

import inspect

import pytest
from peers import import_peer
from test_keras_features_table import ROWS, resolve

keras = import_peer("keras")

SECTIONS = sorted({section for section, *_ in ROWS if section})


def keras_module(section):
    found = keras
    for part in section.split("."):
        found = getattr(found, part)
    return found


@pytest.mark.parametrize("section", SECTIONS)
def test_every_public_keras_name_has_a_row(section):
    public = {name for name in dir(keras_module(section)) if not name.startswith("_")}
    if section == "optimizers":
        public.discard("schedules")   # a section of its own
    listed = [name for row_section, names, *_ in ROWS if row_section == section for name in names]
    assert len(listed) == len(set(listed)), "a name is listed twice"
    assert sorted(public - set(listed)) == [], "Keras names without a row"
    assert sorted(set(listed) - public) == [], "rows naming what Keras does not export"


def _parameters(function, owner=None):
    """``{name: default}`` of a signature; ``**kwargs`` handed to the base classes' ``__init__``
    count the arguments those take (Keras's optimizers and layers pass theirs so)."""
    found, forwards = {}, False
    for p in inspect.signature(function).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            forwards = True
        elif p.kind is not p.VAR_POSITIONAL and p.name != "self":
            found[p.name] = p.default
    if forwards and owner is not None:
        for base in owner.__mro__[1:]:
            if "__init__" in vars(base) and base is not object:
                for name, default in _parameters(base.__init__).items():
                    found.setdefault(name, default)
    return found


def _comparable(value):
    return repr(value) if callable(value) else value


YES = [(section, names[0], path) for section, names, path, status, _ in ROWS
       if status == "yes" and section and len(names) == 1]


@pytest.mark.parametrize("section, name, path", YES, ids=[path for *_, path in YES])
def test_a_yes_takes_keras_arguments_with_keras_defaults(section, name, path):
    """Every argument Keras names is taken (explicitly or by the base class), with Keras's
    default (a required argument of Keras may have a default here); Keras's positional
    arguments come in Keras's order."""
    theirs, ours = getattr(keras_module(section), name), resolve(path)
    if inspect.ismodule(theirs) or not callable(theirs):
        return
    if inspect.isclass(theirs):
        expected, found = _parameters(theirs.__init__, theirs), _parameters(ours.__init__, ours)
    else:
        expected, found = _parameters(theirs), _parameters(ours)
    missing = sorted(set(expected) - set(found))
    assert not missing, f"Keras arguments not taken: {missing}"
    differ = {n: (_comparable(found[n]), _comparable(d)) for n, d in expected.items()
              if d is not inspect.Parameter.empty and _comparable(found[n]) != _comparable(d)}
    assert not differ, f"defaults (layerkit, Keras): {differ}"
    positional = [p.name for p in inspect.signature(
        theirs.__init__ if inspect.isclass(theirs) else theirs).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"]
    in_ours = [n for n in inspect.signature(ours.__init__ if inspect.isclass(ours) else ours)
               .parameters if n in positional]
    assert in_ours == [n for n in positional if n in in_ours], "Keras's order"
