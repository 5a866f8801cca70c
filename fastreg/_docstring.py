"""Docstrings assembled from shared parts: estimators and functions of one
family describe the parameters they have in common in one place."""

import inspect


def parameters_section(func, descriptions, **fields):
    """The numpydoc entries of ``func``'s parameters, in the order of its
    signature, for those that ``descriptions`` (name -> entry) holds.

    An entry is a ``str.format`` template of ``fields`` (literal braces
    doubled), written for a docstring indented by four spaces: its first
    line unindented, the rest by eight."""
    names = inspect.signature(func).parameters
    return "\n    ".join(descriptions[name].format(**fields)
                         for name in names if name in descriptions)
