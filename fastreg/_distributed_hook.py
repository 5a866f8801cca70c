"""The estimators' door to :mod:`fastreg.distributed`: recognise data held by
an engine (Dask collections, Spark DataFrames) without importing the engine,
and hand such fits over. Kept apart so the estimators' modules import nothing
of the distributed package until it is needed."""

_ENGINE_MODULES = ("dask.", "dask_expr.", "pyspark.")


def is_distributed(X):
    """True for a Dask array / DataFrame or a Spark DataFrame."""
    module = type(X).__module__ or ""
    return module.startswith(_ENGINE_MODULES)


def fit_distributed(est, X, y, sample_weight=None, **params):
    from .distributed._dispatch import fit_distributed as fit
    return fit(est, X, y, sample_weight, **params)


def predict_distributed(est, X):
    from .distributed._dispatch import predict_distributed as predict
    return predict(est, X)
