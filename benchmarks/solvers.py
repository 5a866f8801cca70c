"""Solver adapters: one small class per library, one interface.

Each adapter knows how to fit one benchmark problem (Lasso / ElasticNet least
squares with an intercept, scikit-learn's scaling; see ``objective.py``) at
one setting of its accuracy knob, and returns ``(coef, intercept, n_iter)``.

The knob is whatever the library offers to trade time for accuracy: ``tol``
for the libraries that have a stopping tolerance (each in its own meaning,
which is why the suite measures the objective reached rather than trusting
tolerances), the iteration count for the pure NumPy FISTA.

An adapter whose library is missing reports ``available() == (False, why)``
and is skipped; nothing else in the suite imports the libraries directly.
"""

import importlib
import warnings

import numpy as np
import scipy.sparse as sp

# Ladders of the accuracy knob. Each run of a ladder is timed; the ladder is
# climbed until the target accuracy is reached or the time budget is spent.
TOL_LADDER = [10.0 ** -k for k in range(1, 15)]          # 1e-1 ... 1e-14
ITER_LADDER = [10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, 300000]

# Iteration caps large enough that the tolerance, not the cap, stops a run;
# a run that would go on too long is stopped by the suite's time budget.
MAX_EPOCHS = 100_000


# How to get the peer libraries, for the notes of a report that lacks them.
PEER_INSTALL_HINT = "`make bench` installs them, or `pip install --group bench-peers`"


def import_failure(module):
    """``""`` when ``module`` imports, else why not, in one line."""
    try:
        importlib.import_module(module)
    except Exception as exc:   # ImportError, or a broken build
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return "%s not importable (%s: %s)" % (module, type(exc).__name__, first_line)
    return ""


def importable_peers(peers, log=print):
    """Split ``{name: (module, fit)}`` into the fits whose module imports and
    ``{name: reason}`` for the others, logging each one skipped."""
    fits, skipped = {}, {}
    for name, (module, fit) in peers.items():
        why = import_failure(module)
        if why:
            skipped[name] = why
            log("skipping %s: %s" % (name, why))
        else:
            fits[name] = fit
    return fits, skipped


def skipped_note(skipped):
    """Markdown lines naming the peers a family could not compare against."""
    if not skipped:
        return []
    return ["**Not compared**: %s. To include them: %s." % (
        "; ".join(why for _, why in sorted(skipped.items())), PEER_INSTALL_HINT), ""]


class Solver:
    """Interface of an adapter. Subclasses set the class attributes."""

    name = "solver"          # key in results and on the command line
    label = "solver"         # display name
    role = "peer"            # "fastreg", "baseline" or "peer"
    knob_name = "tol"        # "tol" or "max_iter"
    dtypes = ("float64",)    # problem dtypes the adapter is run on
    can_epochs = False       # supports fixed-epoch runs (max_iter=k, tol=0)
    needs_jit_warmup = False  # compiles on first call (numba)
    pair_budget_share = 1.0  # share of the pair budget its ladder may use
    module = None            # importable name, for available() and version()

    def available(self):
        """``(True, "")`` or ``(False, reason)``."""
        why = import_failure(self.module)
        return not why, why

    def _import(self):
        return importlib.import_module(self.module)

    def version(self):
        try:
            return str(getattr(self._import(), "__version__", "?"))
        except Exception:
            return None

    def supports(self, problem):
        """``(True, "")`` or ``(False, reason)`` for one problem."""
        if problem.dtype not in self.dtypes:
            return False, "not run in %s" % problem.dtype
        return True, ""

    def knobs(self, quick=False):
        return list(TOL_LADDER if self.knob_name == "tol" else ITER_LADDER)

    def fit(self, problem, knob):
        """Fit at one knob value; return ``(coef, intercept, n_iter)``."""
        raise NotImplementedError

    def fit_epochs(self, problem, n_epochs):
        """Run exactly ``n_epochs`` epochs (no early stop); return n_iter."""
        raise NotImplementedError

    def prepare(self, problem):
        """Trigger just-in-time compilation outside any timing, on a tiny
        problem of the same kind (storage, dtype, penalty). Its data are
        random, not a slice of the problem's: compilation depends on the
        types only, and a slice can be ill-conditioned enough to keep the
        solver busy for seconds (a 40 x 15 corner of madelon took skglm 4 s)."""
        if not self.needs_jit_warmup:
            return
        X = problem.X
        rng = np.random.RandomState(0)
        small = rng.standard_normal((40, 15)).astype(X.dtype)
        if sp.issparse(X):
            small = sp.csc_matrix(small)
            small.indices = small.indices.astype(X.indices.dtype)
            small.indptr = small.indptr.astype(X.indptr.dtype)
        elif X.flags.f_contiguous:
            small = np.asfortranarray(small)
        y = small @ rng.standard_normal(15) + rng.standard_normal(40)
        tiny = problem.replace_data(small, y.astype(problem.y.dtype))
        self.fit(tiny, self.knobs()[2] if self.knob_name == "tol" else 10)


class _SklearnLike(Solver):
    """scikit-learn's API: Lasso / ElasticNet with tol and max_iter."""

    knob_name = "tol"
    dtypes = ("float64", "float32")
    can_epochs = True

    def _estimator(self, problem, **params):
        mod = self._estimators_module()
        if problem.l1_ratio == 1.0:
            return mod.Lasso(alpha=problem.alpha, fit_intercept=True, **params)
        return mod.ElasticNet(alpha=problem.alpha, l1_ratio=problem.l1_ratio,
                              fit_intercept=True, **params)

    def _estimators_module(self):
        return self._import()

    def fit(self, problem, knob):
        est = self._estimator(problem, tol=knob, max_iter=MAX_EPOCHS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(problem.X, problem.y)
        return est.coef_, est.intercept_, getattr(est, "n_iter_", None)

    def fit_epochs(self, problem, n_epochs):
        # precompute=False: the epoch table measures the residual-update
        # kernel against one X.T @ r, not a Gram-matrix path.
        est = self._estimator(problem, tol=0.0, max_iter=n_epochs,
                              precompute=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(problem.X, problem.y)
        n_iter = getattr(est, "n_iter_", None)
        return int(np.max(n_iter)) if n_iter is not None else n_epochs


class Fastreg(_SklearnLike):
    name = "fastreg"
    label = "fastreg"
    role = "fastreg"
    module = "fastreg"

    def _import(self):
        mod = importlib.import_module("fastreg")
        # A source tree without built kernels imports as a bare package.
        for attr in ("Lasso", "ElasticNet"):
            if not hasattr(mod, attr):
                raise ImportError("fastreg has no %s (not built?)" % attr)
        return mod

    def fit_epochs(self, problem, n_epochs):
        # fastreg's estimators pick the Gram route or working sets, whose
        # epochs are not full sweeps; the per-epoch figure is that of the
        # residual kernel itself, sweeping every feature n_epochs times.
        from fastreg import _cd_fast
        from fastreg._design import Design

        design = Design(problem.X, fit_intercept=True, gram=False)
        y_c, _ = design.center(np.asarray(problem.y, dtype=design.dtype), True)
        Y = np.asfortranarray(y_c[:, None])
        W = np.zeros((1, design.n_features), dtype=design.dtype, order="F")
        R = design.residual(Y, W)
        X = design.X
        empty = np.empty(0, dtype=design.dtype)
        parts = ((np.empty((0, 0), dtype=design.dtype, order="F"),
                  np.ascontiguousarray(X.data), X.indices, X.indptr)
                 if design.is_sparse else
                 (X, empty, np.empty(0, np.int32), np.empty(0, np.int32)))
        l1 = problem.alpha * problem.l1_ratio * design.sum_w
        l2 = problem.alpha * (1 - problem.l1_ratio) * design.sum_w
        _, epochs, _ = _cd_fast.enet_coordinate_descent(
            W, l1, l2, *parts, design.is_sparse, Y, R, design.X_mean, empty,
            design.norm2_cols, np.arange(design.n_features), n_epochs, 0.0, 0.0, 1,
            False, False, np.zeros(design.n_features), np.empty((0, 0)),
            np.zeros(1, np.intp))
        return epochs


class Sklearn(_SklearnLike):
    name = "sklearn"
    label = "scikit-learn"
    role = "baseline"
    module = "sklearn"

    def _estimators_module(self):
        return importlib.import_module("sklearn.linear_model")


class NumpyFista(Solver):
    """fastreg.reference.fista: plain NumPy FISTA, run for a fixed number of
    iterations (tol=0 disables its duality-gap stop)."""

    name = "numpy"
    label = "NumPy (FISTA)"
    role = "baseline"
    knob_name = "max_iter"
    # the textbook baseline: its last, longest steps only decide how many
    # hundred times slower than fastreg it is, and were a sixth of the suite
    pair_budget_share = 0.25
    module = "fastreg.reference"

    def _import(self):
        mod = importlib.import_module("fastreg.reference")
        if not hasattr(mod, "fista"):
            raise ImportError("fastreg.reference has no fista")
        return mod

    def version(self):
        return Fastreg().version()

    def fit(self, problem, knob):
        fista = self._import().fista
        coef, intercept, n_iter = fista(
            problem.X, problem.y, alpha=problem.alpha, l1_ratio=problem.l1_ratio,
            fit_intercept=True, max_iter=int(knob), tol=0.0)
        return coef, intercept, n_iter


class Celer(Solver):
    """celer: working sets + dual extrapolation. Same objective and alpha
    scaling as scikit-learn (checked in tests/test_benchmarks.py)."""

    name = "celer"
    label = "celer"
    module = "celer"

    def fit(self, problem, knob):
        celer = self._import()
        if problem.l1_ratio == 1.0:
            est = celer.Lasso(alpha=problem.alpha, tol=knob, fit_intercept=True)
        else:
            est = celer.ElasticNet(alpha=problem.alpha, l1_ratio=problem.l1_ratio,
                                   tol=knob, fit_intercept=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(problem.X, problem.y)
        return est.coef_, est.intercept_, getattr(est, "n_iter_", None)


class Skglm(Solver):
    """skglm: Anderson-accelerated working-set CD (numba). Same objective and
    alpha scaling as scikit-learn."""

    name = "skglm"
    label = "skglm"
    module = "skglm"
    needs_jit_warmup = True

    def fit(self, problem, knob):
        skglm = self._import()
        if problem.l1_ratio == 1.0:
            est = skglm.Lasso(alpha=problem.alpha, tol=knob, fit_intercept=True)
        else:
            est = skglm.ElasticNet(alpha=problem.alpha, l1_ratio=problem.l1_ratio,
                                   tol=knob, fit_intercept=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(problem.X, problem.y)
        return est.coef_, est.intercept_, getattr(est, "n_iter_", None)


class Glum(Solver):
    """glum: IRLS + coordinate descent on the penalized GLM.

    glum minimises ``1/(2 sum(s)) deviance + alpha rho ||w||_1
    + alpha (1 - rho)/2 ||w||^2``; the normal deviance is ``sum s_i (y_i -
    mu_i)^2``, so with unit weights (sum(s) = n) this *is* scikit-learn's
    objective with the same alpha and l1_ratio: no conversion is needed
    (verified numerically in tests/test_benchmarks.py). Predictors are not
    rescaled (scale_predictors=False, glum's default, stated explicitly).
    The knob is glum's ``gradient_tol``.

    Its IRLS step forms a dense p x p Hessian, so it is skipped above
    ``MAX_FEATURES`` features, and on wide designs (p > n), where that
    Hessian outgrows X itself (leukemia and the 1000 x 5000 design took more
    than the 4 s fit budget at its loosest tol in every run).
    """

    name = "glum"
    label = "glum"
    module = "glum"
    MAX_FEATURES = 10_000

    def supports(self, problem):
        ok, why = super().supports(problem)
        if ok and problem.n_features > self.MAX_FEATURES:
            return False, ("p = %d > %d: glum's IRLS forms a dense p x p Hessian"
                           % (problem.n_features, self.MAX_FEATURES))
        if ok and problem.n_features > problem.n_samples:
            return False, ("p = %d > n = %d: glum's dense p x p Hessian outgrows X"
                           % (problem.n_features, problem.n_samples))
        return ok, why

    def fit(self, problem, knob):
        glum = self._import()
        est = glum.GeneralizedLinearRegressor(
            family="normal", alpha=problem.alpha, l1_ratio=problem.l1_ratio,
            fit_intercept=True, gradient_tol=knob, max_iter=1000,
            solver="irls-cd", scale_predictors=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(problem.X, problem.y)
        return est.coef_, est.intercept_, getattr(est, "n_iter_", None)


ALL_SOLVERS = [Fastreg, NumpyFista, Sklearn, Celer, Skglm, Glum]
PEERS = ("celer", "skglm", "glum")
# Order of preference for the solver whose ladder sets the P* estimate first
# (it is run to the end of its ladder; the others stop once they are within
# the tightest target of the best value seen so far).
REFERENCE_PREFERENCE = ("fastreg", "celer", "skglm", "sklearn")


def all_solvers():
    return [cls() for cls in ALL_SOLVERS]


def get_solver(name):
    for cls in ALL_SOLVERS:
        if cls.name == name:
            return cls()
    raise KeyError("unknown solver %r; known: %s"
                   % (name, ", ".join(c.name for c in ALL_SOLVERS)))


class Float64Reference(Solver):
    """A solver run on the float64 widening of a float32 problem's data.

    Not a competitor: on single-precision problems it supplies P* (the best
    objective of the float32 runs would otherwise flatter them).
    """

    role = "reference"

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.label = "%s (float64 reference)" % inner.label
        self.knob_name = inner.knob_name
        self.module = inner.module
        self.needs_jit_warmup = inner.needs_jit_warmup

    def available(self):
        return self.inner.available()

    def version(self):
        return self.inner.version()

    def supports(self, problem):
        return self.inner.supports(problem.as_float64())

    def knobs(self, quick=False):
        return self.inner.knobs(quick)

    def fit(self, problem, knob):
        return self.inner.fit(problem.as_float64(), knob)

    def prepare(self, problem):
        self.inner.prepare(problem.as_float64())
