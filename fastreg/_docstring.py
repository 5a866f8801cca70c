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


# The last entries of every estimator's Attributes section.
FEATURES_IN_ATTRIBUTES = """n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in :meth:`fit`, when X has string column
        names."""


def add_sections(cls, descriptions, attributes, see_also=None, **fields):
    """Complete the docstring of ``cls`` (its summary and description) with
    its Parameters section (see :func:`parameters_section`, for its
    ``__init__``), its Attributes section (``attributes``, then
    :data:`FEATURES_IN_ATTRIBUTES``) and, if given, its See Also section."""
    doc = (cls.__doc__.rstrip() + "\n\n    Parameters\n    ----------\n    "
           + parameters_section(cls.__init__, descriptions, **fields)
           + "\n\n    Attributes\n    ----------\n    " + attributes
           + "\n    " + FEATURES_IN_ATTRIBUTES)
    if see_also is not None:
        doc += "\n\n    See Also\n    --------\n    " + see_also
    cls.__doc__ = doc + "\n    "


# The X entry of a fit method that takes dense or sparse data of either dtype.
FIT_X = """X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Training data: dense or CSR/CSC, float64 or float32."""


def method_docstring(summary, parameters, returns):
    """Decorator giving a method its docstring: ``summary``, the entries
    ``parameters`` and ``returns`` (their first line unindented, the rest
    by twelve spaces) in the Parameters and Returns sections."""
    def document(method):
        method.__doc__ = (summary + "\n\n        Parameters\n        ----------\n        "
                          + "\n        ".join(parameters)
                          + "\n\n        Returns\n        -------\n        " + returns
                          + "\n        ")
        return method
    return document


def fit_docstring(summary, *parameters):
    """:func:`method_docstring` for a ``fit`` method, which returns the
    estimator itself."""
    return method_docstring(summary, parameters,
                            "self : object\n            The fitted estimator.")


# The entry of a CV estimator's fit for what it hands to the splitter.
SPLIT_PARAMS = """**params : dict
            Passed to the CV splitter's ``split`` (e.g. ``groups``)."""
