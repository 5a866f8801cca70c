"""Machinery of the fuzz suite: fits under a timeout, input fingerprints,
error judgement, objectives and optimality certificates, and the
cross-cutting invariants (pickle, determinism, threads).

Certificates are computed here, in float64 on the caller's data, from
``fastreg.reference`` (elastic-net objective and duality gap, ridge closed
form, logistic objective and gradient); the multi-task group-lasso gap and
the multinomial objective, which the reference does not provide, are written
out below in the same conventions.
"""

import ctypes
import faulthandler
import hashlib
import json
import os
import pickle
import re
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.optimize import nnls
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from fastreg import reference as ref

# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

PROFILE = os.environ.get("FASTREG_FUZZ", "ci")
# Seconds one fit may take before the example fails as a hang. Examples are
# small (milliseconds to a second); the limit only needs to separate a hang
# from a slow fit on a loaded machine.
FIT_TIMEOUT = float(os.environ.get("FASTREG_FUZZ_TIMEOUT", "30" if PROFILE == "ci" else "60"))
LOG_PATH = os.environ.get("FASTREG_FUZZ_LOG")

# Rounding allowance of a certificate, in units of the magnitude of the
# numbers it is computed from: 64 ulps of the dtype the estimator ran in.
ULPS = 64.0
# The tol of the tight fits whose dual values certify a claim of convergence:
# 1e-4 times the tightest tol the suite draws, so that they do not stop
# where the fit under test stopped (a fit at tol 1e-10 whose own gap is
# within 1e-12 passes a tol of 1e-12 unmoved).
REFINE_TOL = 1e-14


def eps(dtype):
    dtype = np.dtype(dtype)
    return float(np.finfo(dtype if dtype.kind == "f" else np.float64).eps)


def grid_rtol(alphas, dtype):
    """Relative rounding allowed between two alpha grids computed alike from
    alpha_max values a few ulps apart: np.geomspace interpolates log10 of its
    ends, whose ulp (eps |log10 alpha|) moves every interior point by ln(10)
    times it (at alpha_max 4e51, 1.6e-14 relative from an alpha_max one ulp
    off: deep fuzz run10)."""
    alphas = np.abs(np.asarray(alphas, dtype=np.float64))
    alphas = alphas[alphas > 0]
    exponent = np.abs(np.log10(alphas)).max(initial=1.0) if alphas.size else 1.0
    return ULPS * eps(dtype) + 4 * eps(np.float64) * np.log(10) * max(exponent, 1.0)


def work_dtype(X):
    """The dtype fastreg and scikit-learn compute in for this X."""
    dtype = X.dtype
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


# ---------------------------------------------------------------------------
# Log (JSON lines, read by run_deep.py)
# ---------------------------------------------------------------------------

_CURRENT = {}


def log(record):
    if not LOG_PATH:
        return
    record = dict(record)
    record.setdefault("test", os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0])
    record["pid"] = os.getpid()
    record["t"] = time.time()
    with open(LOG_PATH, "a") as f:
        f.write(json.dumps(record, default=repr) + "\n")


# ---------------------------------------------------------------------------
# Fits under a timeout
# ---------------------------------------------------------------------------


class FitTimeout(BaseException):
    """Raised inside a fit that ran past its time limit (a BaseException, so
    that the estimator's own ``except Exception`` clauses let it through)."""


def _raise_in_thread(thread_id, exc_type):
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc_type))


def call_with_timeout(fn, timeout=None):
    """Run ``fn()`` in this thread; past ``timeout`` seconds a FitTimeout is
    raised inside it (at the next Python bytecode, so a compiled loop that never
    returns is caught by the process-wide faulthandler limit instead, which
    dumps every thread's stack and exits)."""
    timeout = FIT_TIMEOUT if timeout is None else timeout
    tid = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire():
        with lock:
            if not state["done"]:
                state["fired"] = True
                _raise_in_thread(tid, FitTimeout)

    timer = threading.Timer(timeout, fire)
    timer.daemon = True
    main = threading.current_thread() is threading.main_thread()
    if main:
        # (to the process's own stderr: pytest's --capture=sys replaces
        # sys.stderr with an object without a file descriptor)
        faulthandler.dump_traceback_later(4 * timeout + 60, exit=True, file=sys.__stderr__)
    timer.start()
    try:
        try:
            return fn()
        finally:
            with lock:
                state["done"] = True
            timer.cancel()
            if main:
                faulthandler.cancel_dump_traceback_later()
    except FitTimeout:
        if state["fired"]:
            raise
        raise  # pragma: no cover  (cannot happen: only fire() raises it)


class Outcome:
    """What one call did: its value or exception, its warnings, its time."""

    def __init__(self, value=None, error=None, warnings_=(), seconds=0.0, timed_out=False):
        self.value = value
        self.error = error
        self.warnings = list(warnings_)
        self.seconds = seconds
        self.timed_out = timed_out

    @property
    def ok(self):
        return self.error is None and not self.timed_out

    def warned(self, category=ConvergenceWarning):
        return any(issubclass(w.category, category) for w in self.warnings)

    def messages(self, category):
        return [str(w.message) for w in self.warnings if issubclass(w.category, category)]

    def describe(self):
        if self.timed_out:
            return "timed out after %.0f s" % self.seconds
        if self.error is not None:
            return "%s: %s" % (type(self.error).__name__, self.error)
        return "ok"


def run(fn, timeout=None):
    """Call ``fn`` under a timeout, recording warnings; never raises (but
    KeyboardInterrupt)."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = call_with_timeout(fn, timeout)
        except FitTimeout:
            return Outcome(timed_out=True, seconds=time.perf_counter() - start,
                           warnings_=caught)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - judged by judge_errors
            return Outcome(error=exc, warnings_=caught, seconds=time.perf_counter() - start)
    return Outcome(value=value, warnings_=caught, seconds=time.perf_counter() - start)


# ---------------------------------------------------------------------------
# Inputs are never modified
# ---------------------------------------------------------------------------


def fingerprint(obj):
    """A hashable summary of every array an argument holds (contents, dtype,
    shape, strides, writeable flag; sparse index arrays and format flags)."""
    if obj is None or np.isscalar(obj):
        return repr(obj)
    if sp.issparse(obj):
        parts = [obj.format, obj.shape]
        if obj.format == "coo":
            arrays = [obj.data, *obj.coords]
        else:
            arrays = [obj.data, obj.indices, obj.indptr]
            parts += [bool(obj.has_sorted_indices), bool(obj.has_canonical_format)]
        return tuple(parts + [fingerprint(a) for a in arrays])
    a = np.asarray(obj)
    digest = hashlib.sha1(np.ascontiguousarray(a).view(np.uint8)
                          if a.dtype != object else repr(a.tolist()).encode())
    return (a.shape, a.dtype.str, a.strides, a.flags.writeable, digest.hexdigest())


def assert_unchanged(before, args, what, known=None):
    """The arguments' fingerprints are as ``before``; ``known``: the known
    defect a change is (recorded, not failed)."""
    after = [fingerprint(a) for a in args]
    for name, b, a in zip(what, before, after):
        expect(b == a, "fastreg modified the caller's %s: %r -> %r" % (name, b, a), known)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

# Exceptions that are crashes whatever their base class (LinAlgError is a
# ValueError, but its message names LAPACK's problem, not the user's).
CRASH_TYPES = (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError,
               IndexError, KeyError, AttributeError, MemoryError, OverflowError,
               RuntimeError, AssertionError)


def judge_errors(fr, sk, documented=(), known_errors=None):
    """See _judge_errors; ``known_errors``: {regex on the error message: known
    defect} for failures already known."""
    if Example.current is not None:
        for who, outcome in (("fastreg", fr), ("sklearn", sk)):
            if not outcome.ok:
                Example.current.info[who + "_error"] = outcome.describe()[:300]
    try:
        return _judge_errors(fr, sk, documented)
    except AssertionError as failure:
        for pattern, defect in (known_errors or {}).items():
            if fr.error is not None and re.search(pattern, str(fr.error)):
                expect(False, str(failure), defect)
                return "known-defect"
        raise


def _judge_errors(fr, sk, documented=()):
    """Judge the fastreg and scikit-learn outcomes of the same call.

    Returns 'both-fit', 'both-raise', 'sklearn-fails' (fastreg fits, to be
    certified on its own), 'documented-refusal'; raises AssertionError for a
    hang, a crash, an error without a message, or a refusal of an input that
    scikit-learn fits (unless its message matches a ``documented`` pattern).
    """
    if fr.timed_out:
        raise AssertionError("fastreg hung (no result after %.0f s)" % fr.seconds)
    if fr.error is not None:
        err = fr.error
        if isinstance(err, CRASH_TYPES) or not isinstance(err, (ValueError, TypeError)):
            raise AssertionError("fastreg crashed: %s: %s" % (type(err).__name__, err)) \
                from err
        if not str(err).strip():
            raise AssertionError("fastreg raised %s without a message" % type(err).__name__)
        if not sk.ok:
            return "both-raise"
        if any(re.search(pattern, str(err)) for pattern in documented):
            return "documented-refusal"
        if sklearn_degraded(sk):
            # scikit-learn "fits" through overflow, invalid values or failed
            # scoring; a clear refusal is the better answer.
            return "refusal-where-sklearn-degrades"
        raise AssertionError("fastreg raised %s: %s, where scikit-learn fits" %
                             (type(err).__name__, err)) from err
    return "both-fit" if sk.ok else "sklearn-fails"


def excess_over(objective, optimum):
    """How far an objective is above the optimum, as an allowance: 0 when it
    is below it or not a number (a scikit-learn fit whose objective
    overflows grants no slack)."""
    excess = objective - optimum
    return float(excess) if np.isfinite(excess) and excess > 0 else 0.0


def fit_side_by_side(case, data, fit, fastreg_estimator, fit_sklearn, documented=None,
                     finite=("coef_", "intercept_")):
    """The opening every estimator's property test shares: fit fastreg's
    estimator on ``data`` (X, y, sample_weight, built from ``case``) with
    ``fit``, and scikit-learn's on a fresh build of the case with
    ``fit_sklearn(X, y, sample_weight)``; judge their errors (the example's
    path); check that the caller's arrays are unchanged. Returns (fr, sk,
    est): ``est`` is fastreg's fitted estimator when the example has more to
    check (a fit whose ``finite`` attributes are finite), else None."""
    before = [fingerprint(a) for a in data]
    fr = run(lambda: fit(fastreg_estimator()))
    sk = run(lambda: fit_sklearn(*case.build()))
    path = judge_errors(fr, sk, DOCUMENTED if documented is None else documented)
    if Example.current is not None:
        Example.current.path = path
    assert_unchanged(before, data, ("X", "y", "sample_weight"))
    if not fr.ok or not assert_finite_fit(fr.value, sk.value if sk.ok else None, finite,
                                          announced=announced_nonfinite(fr)):
        return fr, sk, None
    return fr, sk, fr.value


def sklearn_degraded(sk):
    """Whether scikit-learn's fit only went through with numerical trouble:
    an overflow or invalid-value RuntimeWarning, undefined or failed scores."""
    from sklearn.exceptions import FitFailedWarning, UndefinedMetricWarning
    if sk.warned(RuntimeWarning) or sk.warned(UndefinedMetricWarning) or \
            sk.warned(FitFailedWarning):
        return True
    return any(re.search(r"non-finite|Scoring failed", str(w.message))
               for w in sk.warnings)


def announced_nonfinite(outcome):
    """Whether a fit warned that its scores are undefined or not finite."""
    from sklearn.exceptions import UndefinedMetricWarning
    return outcome.warned(UndefinedMetricWarning) or any(
        "non-finite" in str(w.message) for w in outcome.warnings)


def assert_finite_fit(est, sk=None, names=("coef_", "intercept_"), announced=False):
    """A fit without an error has finite coefficients; returns whether they
    are (a non-finite fit that scikit-learn shares is a known defect). A
    non-finite score that the fit ``announced`` with a warning, as
    scikit-learn's search does, is its documented result."""
    for name in names:
        value = getattr(est, name, None)
        if value is None:
            continue
        value = value.toarray() if sp.issparse(value) else np.asarray(value, dtype=float)
        if not np.all(np.isfinite(value)):
            if announced and name.endswith("score_"):
                return False
            other = None if sk is None else getattr(sk, name, None)
            shared = other is not None and not np.all(np.isfinite(
                other.toarray() if sp.issparse(other) else np.asarray(other, dtype=float)))
            expect(False, "fastreg's %s is not finite, without an error: %r" % (name, value),
                   "nonfinite-fit-like-sklearn" if shared else None)
            return False
    return True


# ---------------------------------------------------------------------------
# Attributes as scikit-learn's
# ---------------------------------------------------------------------------


def _kind(value):
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, value.dtype.str)
    # a Python float and a NumPy float64 are the same to a caller (np.float64
    # is a float); a float32 scalar is not
    if isinstance(value, (bool, np.bool_)):
        return ("scalar", (), "bool")
    if isinstance(value, (int, np.integer)):
        return ("scalar", (), "int")
    if isinstance(value, float) and not isinstance(value, np.generic):
        return ("scalar", (), "<f8")
    if isinstance(value, np.generic):
        return ("scalar", (), value.dtype.str)
    if sp.issparse(value):
        return ("sparse", value.shape, value.dtype.str)
    return (type(value).__name__,)


def assert_like_sklearn(fr, sk, names, X=None, dtype_exempt=(), known=None):
    """fastreg's fitted attributes (and predict output) have scikit-learn's
    type, shape and dtype. ``known``: {attribute: known defect} for
    differences already known (recorded, not failed, when they are the only
    ones)."""
    diffs, known_hit = [], set()
    known = known or {}
    for name in names:
        if not hasattr(sk, name):
            continue
        if not hasattr(fr, name):
            diffs.append("%s: missing" % name)
            continue
        a, b = _kind(getattr(fr, name)), _kind(getattr(sk, name))
        if name in dtype_exempt:
            a, b = a[:2], b[:2]
        if a != b:
            if name in known:
                known_hit.add(known[name])
                continue
            diffs.append("%s: fastreg %s, scikit-learn %s" % (name, a, b))
    if X is not None:
        for method in ("predict", "decision_function", "predict_proba"):
            if hasattr(sk, method) and hasattr(fr, method):
                out_sk = run(lambda: getattr(sk, method)(X))
                out_fr = run(lambda: getattr(fr, method)(X))
                if out_sk.ok and not out_fr.ok:
                    diffs.append("%s: fastreg %s" % (method, out_fr.describe()))
                elif out_sk.ok:
                    a, b = _kind(out_fr.value), _kind(out_sk.value)
                    if method in dtype_exempt:
                        a, b = a[:2], b[:2]
                    if a != b:
                        if method in known:
                            known_hit.add(known[method])
                            continue
                        diffs.append("%s(X): fastreg %s, scikit-learn %s" % (method, a, b))
    assert not diffs, "attributes unlike scikit-learn's: " + "; ".join(diffs)
    for defect in sorted(known_hit):
        expect(False, "attribute unlike scikit-learn's", defect)


# ---------------------------------------------------------------------------
# Pickle, determinism, threads, float32
# ---------------------------------------------------------------------------


def _state(est, names=("coef_", "intercept_")):
    out = []
    for name in names:
        v = getattr(est, name, None)
        if v is None:
            continue
        v = v.toarray() if sp.issparse(v) else np.asarray(v)
        out.append((name, v))
    return out


def assert_same_state(a, b, what, names=("coef_", "intercept_")):
    for (name, x), (_, y) in zip(_state(a, names), _state(b, names)):
        if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(
                x, y, equal_nan=x.dtype.kind == "f"):
            diff = np.max(np.abs(x.astype(float) - y.astype(float))) \
                if x.shape == y.shape else "shape"
            raise AssertionError("%s: %s differs (max abs difference %s)" % (what, name, diff))


def assert_pickle_round_trip(est, X):
    clone_ = pickle.loads(pickle.dumps(est))
    for method in ("predict", "decision_function", "predict_proba"):
        if not hasattr(est, method):
            continue
        a = run(lambda: getattr(est, method)(X))
        b = run(lambda: getattr(clone_, method)(X))
        if a.ok != b.ok:
            raise AssertionError("after pickling, %s: %s vs %s" % (method, a.describe(),
                                                                    b.describe()))
        if a.ok and not np.array_equal(np.asarray(a.value), np.asarray(b.value),
                                       equal_nan=np.asarray(a.value).dtype.kind == "f"):
            raise AssertionError("after a pickle round trip %s differs" % method)


def assert_deterministic(est, fit, names=("coef_", "intercept_")):
    """A second fit of a clone (same random_state) is bitwise the same."""
    again = run(lambda: fit(clone(est)))
    if not again.ok:
        raise AssertionError("refit of the same estimator: %s" % again.describe())
    assert_same_state(est, again.value, "same random_state, second fit", names)


def assert_threads_equal_serial(est, fit, n_threads=2, names=("coef_", "intercept_")):
    """Fits running concurrently on threads give the serial result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ThreadPoolExecutor(n_threads) as pool:
            futures = [pool.submit(lambda: call_with_timeout(lambda: fit(clone(est))))
                       for _ in range(n_threads)]
            results = [f.result() for f in futures]
    for k, other in enumerate(results):
        assert_same_state(est, other, "concurrent fit %d on threads" % k, names)


def assert_refit_invariants(est, fit, X, determinism, threads,
                            names=("coef_", "intercept_"), thread_names=None):
    """A pickle round trip predicts alike; when asked, a second fit (same
    random_state) is bitwise the same and fits on threads equal the serial one."""
    assert_pickle_round_trip(est, X)
    if determinism:
        assert_deterministic(est, fit, names)
    if threads:
        assert_threads_equal_serial(est, fit, names=thread_names or names)


# ---------------------------------------------------------------------------
# Objectives and certificates (float64, on the caller's data)
# ---------------------------------------------------------------------------


def dense64(X):
    """The matrix the estimator is asked to fit, as float64 CSR (canonical,
    32-bit indices where they fit) or ndarray."""
    if sp.issparse(X):
        # a copy: a conversion may share the index arrays with the caller's
        # matrix, and scipy sorts indices in place
        M = sp.csr_matrix(X, dtype=np.float64, copy=True)
        M.sum_duplicates()
        if M.nnz < 2 ** 31 and max(M.shape) < 2 ** 31:
            M.indices = M.indices.astype(np.int32)
            M.indptr = M.indptr.astype(np.int32)
        return M
    return np.asarray(X, dtype=np.float64)


def target_unit(y, sample_weight=None):
    """A power of two near max|y|, to evaluate objectives of data near the
    float64 range in rescaled units (1 when y is moderate)."""
    y = np.asarray(y, dtype=np.float64)
    m = np.max(np.abs(y)) if y.size else 0.0
    if m == 0 or (1e-30 < m < 1e30):
        return 1.0
    return 2.0 ** np.round(np.log2(m))


def weighted_stats(y, sample_weight):
    """(sum s, per-target weighted centred sum of squares / S, uncentred one / S)."""
    Y = np.asarray(y, dtype=np.float64)
    Y = Y[:, None] if Y.ndim == 1 else Y
    s = np.ones(Y.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    S = s.sum()
    mean = s @ Y / S
    centred = s @ (Y - mean) ** 2 / S
    raw = s @ Y ** 2 / S
    return S, centred, raw


class LeastSquaresProblem:
    """An elastic-net or multi-task problem in units where max|y| is about 1.

    Objectives, gaps and thresholds returned are in those units (the caller's
    divided by ``unit**2``); comparisons between them are unaffected."""

    def __init__(self, X, y, sample_weight, alpha, l1_ratio, fit_intercept,
                 positive=False, multitask=False):
        self.X = dense64(X)
        # float32 X: y and the weights are fitted as float32 (scikit-learn's
        # convention), so that is the problem to certify.
        dtype = work_dtype(X)
        y = np.asarray(y).astype(dtype).astype(np.float64)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight).astype(dtype).astype(np.float64)
        self.unit = target_unit(y)
        self.y = y / self.unit
        self.sw = None if sample_weight is None else np.asarray(sample_weight, float)
        self.fit_intercept = fit_intercept
        self.positive = positive
        self.multitask = multitask
        # alpha * l1_ratio scales with y, alpha * (1 - l1_ratio) does not.
        l1 = alpha * l1_ratio / self.unit
        l2 = alpha * (1.0 - l1_ratio)
        self.alpha = l1 + l2
        self.l1_ratio = l1 / self.alpha if self.alpha > 0 else l1_ratio
        self.S, self.y_norm2, self.y_raw2 = weighted_stats(self.y, self.sw)

    def scaled(self, coef, intercept):
        c = np.asarray(coef, dtype=np.float64) / self.unit
        b = np.asarray(intercept, dtype=np.float64) / self.unit
        return c, b

    def objective(self, coef, intercept):
        c, b = self.scaled(coef, intercept)
        if self.multitask:
            return multitask_objective(self.X, self.y, c, b, self.alpha, self.l1_ratio,
                                       self.sw)
        c = c.reshape(-1) if self.y.ndim == 1 else c
        return ref.enet_objective(self.X, self.y, c, b if self.y.ndim > 1 else float(b),
                                  alpha=self.alpha, l1_ratio=self.l1_ratio,
                                  sample_weight=self.sw)

    def null_objective(self):
        """Objective at w = 0 with the best intercept (0 without intercept)."""
        if self.fit_intercept:
            return 0.5 * float(np.sum(self.y_norm2))
        return 0.5 * float(np.sum(self.y_raw2))

    def threshold(self, tol):
        """scikit-learn's stopping threshold on the gap, in objective units."""
        base = self.y_norm2 if self.fit_intercept else self.y_raw2
        return tol * float(np.sum(base))

    def gap(self, coef, intercept):
        """Duality gap of (coef, its optimal intercept) plus the excess of the
        reported intercept over the optimal one: a bound on P(coef, b) - P*."""
        c, b = self.scaled(coef, intercept)
        if self.alpha > 0 and self.alpha * self.l1_ratio == 0:
            # Ridge penalty only: its Fenchel dual divides the squared gradient
            # by alpha, so the rounding of the residual swamps the gap when
            # alpha is tiny. The optimum itself is a least-squares solve.
            exact = self.objective(coef, intercept) - self.ridge_optimum()
            return min(exact, self._enet_gap(c, b))
        return self._enet_gap(c, b)

    def _enet_gap(self, c, b):
        if self.multitask:
            return multitask_gap(self.X, self.y, c, b, self.alpha, self.l1_ratio, self.sw,
                                 self.fit_intercept)
        coef = c * self.unit
        intercept = b * self.unit
        c = c.reshape(-1) if self.y.ndim == 1 else c
        b_arg = b if self.y.ndim > 1 else float(b)
        gap = ref.enet_duality_gap(self.X, self.y, c, b_arg, alpha=self.alpha,
                                   l1_ratio=self.l1_ratio, sample_weight=self.sw,
                                   fit_intercept=self.fit_intercept, positive=self.positive)
        if self.fit_intercept:
            gap += self.objective(coef, intercept) - ref.enet_objective(
                self.X, self.y, c, _best_intercept(self.X, self.y, c, self.sw),
                alpha=self.alpha, l1_ratio=self.l1_ratio, sample_weight=self.sw)
        return gap

    def certificate(self, coef, intercept, threshold, refine=()):
        """An upper bound on P(coef, intercept) - P*.

        The duality gap at the point itself; when that exceeds ``threshold``
        (rounding of float32 coefficients, or a tiny L1 term, can inflate it
        far above the true suboptimality), ``P - max_k D_k``, where the dual
        values ``D_k = P(w_k) - gap(w_k)`` come from the points ``w_k`` that the
        callable ``refine`` yields (tighter fits of the same problem). Every
        such ``D_k`` is a lower bound on P*, whoever computed ``w_k``."""
        gap = self.gap(coef, intercept)
        if gap <= threshold:
            return gap
        P = self.objective(coef, intercept)
        l1 = self.alpha * self.l1_ratio
        if l1 > 0:
            # the problem without its L1 term (>= 0), solved exactly, has a
            # lower optimum: the bound that holds where l1 is too small for
            # any dual point from a residual (its scaling asks the KKT
            # conditions to hold to a fraction of l1)
            gap = min(gap, P - self.ridge_optimum(self.alpha - l1))
            if gap <= threshold:
                return gap   # (the tighter fits cost seconds at a tiny l1)
        for c, b in (refine() if callable(refine) else refine):
            with np.errstate(all="ignore"):
                lower = self.objective(c, b) - self.gap(c, b)
            if np.isfinite(lower):
                gap = min(gap, P - lower)
        return gap

    def ridge_optimum(self, l2=None):
        """Optimal objective with the L2 term ``l2`` alone (the problem's
        alpha by default), from a least-squares solve of the augmented system
        [sqrt(s) X_c; sqrt(S l2) I] w = [sqrt(s) y_c; 0] (NNLS when
        ``positive``)."""
        l2 = self.alpha if l2 is None else l2
        Xd = self.X.toarray() if sp.issparse(self.X) else self.X
        Y = self.y[:, None] if self.y.ndim == 1 else self.y
        s = np.ones(Xd.shape[0]) if self.sw is None else self.sw
        S = s.sum()
        if self.fit_intercept:
            Xd = Xd - s @ Xd / S
            Y = Y - s @ Y / S
        p = Xd.shape[1]
        A = np.vstack([np.sqrt(s)[:, None] * Xd, np.sqrt(S * l2) * np.eye(p)])
        B = np.vstack([np.sqrt(s)[:, None] * Y, np.zeros((p, Y.shape[1]))])
        if self.positive:
            W = np.column_stack([nnls(A, B[:, t], maxiter=50 * p)[0]
                                 for t in range(B.shape[1])])
        else:
            W = np.linalg.lstsq(A, B, rcond=None)[0]
        return float(np.sum((B - A @ W) ** 2) / (2 * S))

    def gap_rounding(self, coef, intercept, dtype):
        """Rounding allowance of a duality gap computed in ``dtype``.

        Besides the objective's own rounding, the dual point is the residual
        scaled by ``min(1, l1 / max_j |x_j^T S r / S - l2 w_j|)``; at an optimum
        that maximum equals l1 up to the rounding of the correlation and of
        the coefficients the residual comes from, about ``eps * max_j sum_i
        s_i |x_ij| (|r_i| + sum_k |x_ik| |w_k|) / S``, which moves the dual
        value by that relative amount times ``<r, y>``. Negligible for a
        moderate alpha, it dominates when alpha is tiny against alpha_max."""
        P = self.objective(coef, intercept)
        allowance = self.rounding(dtype, P)
        l1 = self.alpha * self.l1_ratio
        if l1 > 0:
            c, b = self.scaled(coef, intercept)
            W = c.reshape(1, -1) if c.ndim == 1 else c
            s = np.ones(self.X.shape[0]) if self.sw is None else self.sw
            Y = self.y[:, None] if self.y.ndim == 1 else self.y
            with np.errstate(all="ignore"):
                R = Y - np.asarray(self.X @ W.T) - np.reshape(b, (1, -1))
                absX = abs(self.X)
                absR = np.abs(R).sum(axis=1) + np.asarray(absX @ np.abs(W).T).sum(axis=1)
                G = np.asarray(absX.T @ (s * absR)).max(initial=0.0) / self.S
                ry = abs(np.sum(s[:, None] * R * Y)) / self.S + np.sum(s @ R ** 2) / self.S
                extra = ULPS * eps(dtype) * (G / l1) * ry
            if np.isfinite(extra):
                allowance += extra
        return allowance

    def rounding(self, dtype, *objectives):
        """Rounding allowance: ULPS ulps of the magnitudes involved."""
        scale = float(np.sum(self.y_raw2)) + sum(abs(o) for o in objectives
                                                 if np.isfinite(o))
        return ULPS * eps(dtype) * scale


def _best_intercept(X, Y, coef, sw):
    """Optimal intercept(s) for coefficients ``coef`` (sklearn layout)."""
    W = np.asarray(coef, float)
    pred = np.asarray(X @ (W.T if W.ndim == 2 else W))
    s = np.ones(X.shape[0]) if sw is None else sw
    b = s @ (Y - pred) / s.sum()
    return b


def multitask_objective(X, Y, coef, intercept, alpha, l1_ratio, sw=None):
    """``1/(2S) sum_i s_i ||y_i - W x_i - b||^2 + alpha rho sum_j ||W[:, j]||
    + alpha (1 - rho)/2 ||W||_F^2`` (scikit-learn's MultiTaskElasticNet with
    weights rescaled to sum to n)."""
    W = np.asarray(coef, float)
    R = Y - np.asarray(X @ W.T) - np.asarray(intercept, float)
    s = np.ones(X.shape[0]) if sw is None else sw
    loss = s @ np.sum(R ** 2, axis=1) / (2 * s.sum())
    norms = np.sqrt(np.sum(W ** 2, axis=0))
    return float(loss + alpha * (l1_ratio * norms.sum() + 0.5 * (1 - l1_ratio) * np.sum(W ** 2)))


def multitask_gap(X, Y, coef, intercept, alpha, l1_ratio, sw, fit_intercept):
    """Duality gap of the multi-task elastic net at (coef, reported intercept):
    the group analogue of reference._enet_gap (dual point: the residual scaled
    into the dual ball ``max_j ||x_c,j^T S R / S - l2 W_j|| <= l1``)."""
    W = np.asarray(coef, float)               # (T, p)
    s = np.ones(X.shape[0]) if sw is None else sw
    S = s.sum()
    b = np.asarray(intercept, float)
    R = Y - np.asarray(X @ W.T) - b
    primal = multitask_objective(X, Y, W, b, alpha, l1_ratio, sw)
    if fit_intercept:
        # the intercept's own optimality: the weighted mean residual is zero
        excess = 0.5 * np.sum((s @ R / S) ** 2)
        R = R - s @ R / S
        Yc = Y - s @ Y / S
        def Xc_T(M):
            return np.asarray(X.T @ M) - np.outer(np.asarray(X.T @ s).ravel() / S,
                                                  M.sum(axis=0))
    else:
        excess = 0.0
        Yc = Y
        Xc_T = lambda M: np.asarray(X.T @ M)  # noqa: E731
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    if alpha == 0:
        Xd = X.toarray() if sp.issparse(X) else np.asarray(X)
        if fit_intercept:
            Xd = Xd - s @ Xd / S
        A = np.sqrt(s)[:, None] * Xd
        B = np.sqrt(s)[:, None] * Yc
        sol = np.linalg.lstsq(A, B, rcond=None)[0]
        best = np.sum((B - A @ sol) ** 2) / (2 * S)
        loss = s @ np.sum(R ** 2, axis=1) / (2 * S)
        return float(loss - best + excess)
    loss = s @ np.sum(R ** 2, axis=1) / S
    corr = Xc_T(s[:, None] * R) / S           # (p, T)
    r_dot_y = np.sum(s[:, None] * R * Yc) / S
    if l1 > 0:
        XtA = corr - l2 * W.T
        dual_norm = np.sqrt(np.sum(XtA ** 2, axis=1)).max(initial=0.0)
        scale = l1 / max(dual_norm, l1)
        dual = scale * r_dot_y - 0.5 * scale ** 2 * (loss + l2 * np.sum(W ** 2))
    else:
        excess_c = np.maximum(np.sqrt(np.sum(corr ** 2, axis=1)) - l1, 0.0)
        dual = r_dot_y - 0.5 * loss - np.sum(excess_c ** 2) / (2 * l2)
    primal_centred = primal - excess if fit_intercept else primal
    return float(primal_centred - dual + excess)


def _nnls_ridge(X, y, alpha, s, fit_intercept):
    Xd = X.toarray() if sp.issparse(X) else X
    if fit_intercept:
        xm = s @ Xd / s.sum()
        ym = s @ y / s.sum()
        Xd, y = Xd - xm, y - ym
    A = np.vstack([np.sqrt(s)[:, None] * Xd, np.sqrt(alpha) * np.eye(Xd.shape[1])])
    B = np.r_[np.sqrt(s) * y, np.zeros(Xd.shape[1])]
    w = nnls(A, B, maxiter=50 * A.shape[1])[0]
    return float(np.sum((B - A @ w) ** 2))


def _lstsq_ridge(X, y, alpha, s, fit_intercept):
    Xd = X.toarray() if sp.issparse(X) else X
    if fit_intercept:
        Xd, y = Xd - s @ Xd / s.sum(), y - s @ y / s.sum()
    A = np.vstack([np.sqrt(s)[:, None] * Xd, np.sqrt(alpha) * np.eye(Xd.shape[1])])
    B = np.r_[np.sqrt(s) * y, np.zeros(Xd.shape[1])]
    w = np.linalg.lstsq(A, B, rcond=None)[0]
    return float(np.sum((B - A @ w) ** 2))


# -- logistic ---------------------------------------------------------------


def effective_weights(y, classes, sample_weight, class_weight):
    from sklearn.utils.class_weight import compute_class_weight
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float).copy()
    if class_weight is not None:
        cw = compute_class_weight(class_weight, classes=classes, y=y,
                                  sample_weight=None if sample_weight is None else s)
        s = s * cw[np.searchsorted(classes, y)]
    return s


def logistic_objective(X, y, classes, coef, intercept, C, l1_ratio, s):
    """Binary (reference) or multinomial objective of a fitted classifier."""
    X = dense64(X)
    coef = np.asarray(coef, float)
    intercept = np.atleast_1d(np.asarray(intercept, float))
    if len(classes) == 2:
        ypm = np.where(y == classes[1], 1.0, -1.0)
        return ref.logistic_objective(X, ypm, coef.reshape(-1), float(intercept[0]), C=C,
                                      l1_ratio=l1_ratio, sample_weight=s)
    Z = np.asarray(X @ coef.T) + intercept
    idx = np.searchsorted(classes, y)
    loss = logsumexp(Z, axis=1) - Z[np.arange(len(y)), idx]
    return float(C * (s @ loss) + l1_ratio * np.abs(coef).sum()
                 + 0.5 * (1 - l1_ratio) * np.sum(coef ** 2))


def logistic_kkt(X, y, classes, coef, intercept, C, l1_ratio, s, fit_intercept):
    """Largest violation of the optimality conditions (minimum-norm
    subgradient of the objective; the intercept's partial derivative)."""
    X = dense64(X)
    coef = np.asarray(coef, float)
    intercept = np.atleast_1d(np.asarray(intercept, float))
    if len(classes) == 2:
        ypm = np.where(y == classes[1], 1.0, -1.0)
        g, gb = ref.logistic_gradient(X, ypm, coef.reshape(-1), float(intercept[0]), C=C,
                                      sample_weight=s)
        G, Gb, W = g[None, :], np.array([gb]), coef.reshape(1, -1)
    else:
        Z = np.asarray(X @ coef.T) + intercept
        P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        P[np.arange(len(y)), np.searchsorted(classes, y)] -= 1.0
        D = C * s[:, None] * P
        G, Gb, W = np.asarray(X.T @ D).T, D.sum(axis=0), coef
    smooth = G + (1 - l1_ratio) * W
    v = np.where(W != 0, smooth + l1_ratio * np.sign(W),
                 np.maximum(np.abs(smooth) - l1_ratio, 0.0))
    worst = np.abs(v).max(initial=0.0)
    if fit_intercept:
        worst = max(worst, np.abs(Gb).max(initial=0.0))
    return float(worst)


# -- GLMs (Poisson, Gamma, Tweedie) -----------------------------------------


def glm_mean(eta, link):
    """The mean of a linear predictor (log or identity link)."""
    with np.errstate(over="ignore"):
        return np.exp(eta) if link == "log" else np.asarray(eta, float)


def glm_half_deviance(y, eta, power, link):
    """Half the Tweedie unit deviance at the linear predictor eta, per sample;
    inf where the mean is outside the family's domain (the identity link's
    mu <= 0 for a positive power). With the log link it comes from eta: a
    mean that underflows to 0 (y = 0 drives it there) is the limit of valid
    means, of finite deviance."""
    p = float(power)
    with np.errstate(all="ignore"):
        if link == "log":
            if p == 0:
                return 0.5 * (y - np.exp(eta)) ** 2
            if p == 1:
                return (np.where(y > 0, y * (np.log(np.where(y > 0, y, 1.0)) - eta), 0.0)
                        - y + np.exp(eta))
            if p == 2:
                return eta - np.log(y) + y * np.exp(-eta) - 1.0
            return (np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
                    - y * np.exp((1 - p) * eta) / (1 - p) + np.exp((2 - p) * eta) / (2 - p))
        mu = np.asarray(eta, float)
        if p == 0:
            return 0.5 * (y - mu) ** 2
        bad = ~(mu > 0)
        m = np.where(bad, 1.0, mu)
        if p == 1:
            out = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / m), 0.0) - y + m
        elif p == 2:
            out = np.log(m / y) + y / m - 1.0
        else:
            out = (np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
                   - y * m ** (1 - p) / (1 - p) + m ** (2 - p) / (2 - p))
        return np.where(bad, np.inf, out)


def glm_derivatives(y, eta, power, link):
    """(gradient, curvature bound) of the half deviance in the linear
    predictor, per sample: the curvature is the larger of the observed and
    Fisher's (an allowance for the rounding of eta, not a Hessian)."""
    p = float(power)
    mu = glm_mean(eta, link)
    with np.errstate(all="ignore"):
        if link == "log":
            g = mu ** (2 - p) - y * mu ** (1 - p)
            h = np.maximum(np.abs((2 - p) * mu ** (2 - p) - (1 - p) * y * mu ** (1 - p)),
                           mu ** (2 - p))
        else:
            g = mu ** (-p) * (mu - y) if p else mu - y
            h = np.maximum(np.abs((1 - p) * mu ** (-p) + p * y * mu ** (-p - 1)),
                           np.abs(mu) ** (-p)) if p else np.ones_like(mu)
    return g, h


def glm_null_gradient(X, y, s, power, link, fit_intercept):
    """(|x_j^T S g| / sum(s) per feature, the magnitude of its terms before
    they cancel) at w = 0 with the intercept at its optimum (0 without one):
    the gradient whose largest entry is alpha_max of an L1 fit. The
    magnitude: |x_j|^T S m / sum(s), m the sizes of the two parts of g
    (the mean's and y's) times 1 + |eta| (the rounding of the link and its
    inverse)."""
    X = dense64(X)
    y = np.asarray(y, float)
    s = np.ones(len(y)) if s is None else np.asarray(s, float)
    with np.errstate(all="ignore"):
        if fit_intercept:
            mean = float(s @ y / s.sum())
            if link == "log" or power > 0:   # the mean of those families is positive
                mean = max(mean, 1e-150)
            eta = np.full(len(y), np.log(mean) if link == "log" else mean)
        else:
            eta = np.zeros(len(y))
        g, _ = glm_derivatives(y, eta, power, link)
        mu = glm_mean(eta, link)
        p = float(power)
        if link == "log":
            parts = mu ** (2 - p) + np.abs(y) * mu ** (1 - p)
        else:
            parts = (np.abs(mu) + np.abs(y)) * (np.abs(mu) ** (-p) if p else 1.0)
        grad = np.abs(np.asarray(X.T @ (s * g)).ravel()) / s.sum()
        terms = np.asarray(abs(X).T @ (s * parts * (1 + np.abs(eta)))).ravel() / s.sum()
    return grad, terms


def glm_alpha_max(X, y, s, power, link, fit_intercept):
    """Smallest alpha of an L1 fit (l1_ratio 1) with no nonzero coefficient;
    1 where it is 0 or not finite (a scale for alpha, whatever l1_ratio)."""
    grad, _ = glm_null_gradient(X, y, s, power, link, fit_intercept)
    value = grad.max(initial=0.0)
    return float(value) if np.isfinite(value) and value > 0 else 1.0


class GLMProblem:
    """A fitted GLM's problem ``1/S sum_i s_i d(y_i, mu_i)/2 + alpha rho |w|_1
    + alpha (1 - rho)/2 |w|^2`` on the data the estimator saw (float32 X: y
    and the weights rounded to float32), with its objective, KKT violation
    (minimum-norm subgradient, the intercept's derivative) and their
    rounding allowances. Rows of zero weight take no part (their deviance may
    be infinite)."""

    def __init__(self, X, y, sample_weight, power, link, alpha, l1_ratio, fit_intercept):
        dtype = work_dtype(X)
        self.X = dense64(X)
        self.y = np.asarray(y).astype(dtype).astype(np.float64)
        self.s = np.ones(len(self.y)) if sample_weight is None else \
            np.asarray(sample_weight).astype(dtype).astype(np.float64)
        self.S = float(self.s.sum())
        self.rows = self.s > 0
        self.power, self.link = float(power), link
        self.l1 = float(alpha) * float(l1_ratio)
        self.l2 = float(alpha) * (1.0 - float(l1_ratio))
        self.fit_intercept = fit_intercept

    @property
    def convex(self):
        """Whether the objective is convex, which comparisons of two fits by
        their KKT violations need. The half Tweedie deviance is convex in the
        linear predictor with the log link for 1 <= power <= 2 and with the
        identity link for power <= 1; otherwise (the log link with power 0 or
        3, the identity link with power above 1) a point of small KKT
        violation may be a stationary point above another fit's objective."""
        if self.link == "log":
            return 1.0 <= self.power <= 2.0
        return self.power <= 1.0

    def _eta(self, coef, intercept):
        with np.errstate(all="ignore"):
            return np.asarray(self.X @ np.asarray(coef, float)).ravel() + float(intercept)

    def objective(self, coef, intercept):
        w = np.asarray(coef, float)
        eta = self._eta(coef, intercept)
        dev = glm_half_deviance(self.y[self.rows], eta[self.rows], self.power, self.link)
        with np.errstate(all="ignore"):
            loss = float(self.s[self.rows] @ dev) / self.S
        return loss + self.l1 * np.abs(w).sum() + 0.5 * self.l2 * float(w @ w)

    def _gradients(self, coef, intercept):
        eta = self._eta(coef, intercept)
        g, h = glm_derivatives(self.y, eta, self.power, self.link)
        g = np.where(self.rows, g, 0.0) * self.s
        h = np.where(self.rows, h, 0.0) * self.s
        return g, h

    def kkt(self, coef, intercept):
        w = np.asarray(coef, float)
        g, _ = self._gradients(coef, intercept)
        with np.errstate(all="ignore"):
            smooth = np.asarray(self.X.T @ g).ravel() / self.S + self.l2 * w
            v = np.where(w != 0, smooth + self.l1 * np.sign(w),
                         np.maximum(np.abs(smooth) - self.l1, 0.0))
            worst = float(np.abs(v).max(initial=0.0))
            if self.fit_intercept:
                worst = max(worst, abs(float(g.sum())) / self.S)
        return worst if np.isfinite(worst) else float("inf")

    def rounding(self, coef, intercept, dtype):
        """Allowance on a KKT violation: ULPS ulps (of ``dtype``) of the
        gradient's terms, and the gradient's change under a rounding of the
        linear predictor by one ulp of its terms (curvature bound of
        glm_derivatives)."""
        e = eps(dtype)
        w = np.abs(np.asarray(coef, float))
        g, h = self._gradients(coef, intercept)
        absX = abs(self.X)
        with np.errstate(all="ignore"):
            dz = (np.asarray(absX @ w).ravel() + abs(float(intercept))) * e
            dg = np.asarray(absX.T @ (h * dz)).max(initial=0.0) / self.S
            terms = max(np.asarray(absX.T @ np.abs(g)).max(initial=0.0),
                        np.abs(g).sum()) / self.S + (self.l1 + self.l2) * w.max(initial=0.0)
            allowance = ULPS * (e * terms + dg + float(h @ dz) / self.S)
        return float(allowance) if np.isfinite(allowance) else float("inf")

    def objective_rounding(self, *objectives):
        """ULPS ulps of float64 of the objectives and of the deviance's
        terms that cancel (y, y log y)."""
        scale = sum(abs(o) for o in objectives if np.isfinite(o))
        with np.errstate(all="ignore"):
            ay = np.abs(self.y)
            terms = float(self.s @ (ay * (1.0 + np.abs(np.log(np.where(ay > 0, ay, 1.0))))))
        return ULPS * eps(np.float64) * (scale + terms / self.S)

    def distance(self, a, b):
        """l1 distance between two fits' coefficients and intercepts."""
        d = np.abs(np.asarray(a.coef_, float) - np.asarray(b.coef_, float)).sum()
        if self.fit_intercept:
            d += abs(float(a.intercept_) - float(b.intercept_))
        return float(d)


# ---------------------------------------------------------------------------
# Known defects
# ---------------------------------------------------------------------------

# Defects found (by this suite or reported) and not yet fixed. A property test
# that meets one of these exact situations records it (event, log, outcome)
# instead of failing, and goes on with its other checks, so that the rest of
# its examples keep looking for new defects; each also has a minimal
# reproduction in test_known_defects.py, marked xfail there. Remove an entry,
# and the known= arguments naming it, when its fix lands.
KNOWN_DEFECTS = {
    "nonfinite-fit-like-sklearn": "a fit returns non-finite scores without an error where "
                                  "scikit-learn does the same (RidgeCV leave-one-out with "
                                  "|y| ~ 1e150 and large weights: errors overflow, "
                                  "best_score_ -inf, alpha_ the first of the grid)",
}


def expect(condition, message, known=None):
    """assert ``condition``; when it fails and ``known`` names the known
    defect this situation is, record that (log, hypothesis event, the
    example's outcome) and go on with the example's other checks."""
    if condition:
        return
    if known is not None:
        assert known in KNOWN_DEFECTS, known
        log({"event": "known-defect", "defect": known, "message": message[:2000]})
        from hypothesis import event
        event("known defect: " + known)
        if Example.current is not None:
            Example.current.known.append(known)
        return
    raise AssertionError(message)


# ---------------------------------------------------------------------------
# One example
# ---------------------------------------------------------------------------


def examples(weight=1.0):
    """Examples for a test: the profile's max_examples times ``weight``."""
    from hypothesis import settings
    return max(1, int(round(settings.default.max_examples * weight)))


class Example:
    """Context of one example: logs its start (so that a run killed by a
    hang still names it), its path through the checks, the known defects it
    met (see expect) and its time."""

    current = None

    def __init__(self, estimator, case, params):
        self.info = {"estimator": estimator, "case": repr(case), "params": repr(params)}
        self.path = None
        self.known = []

    def __enter__(self):
        Example.current = self
        self.start = time.perf_counter()
        log(dict(self.info, event="begin"))
        return self

    def __exit__(self, exc_type, exc, tb):
        Example.current = None
        seconds = time.perf_counter() - self.start
        outcome = "pass" if exc_type is None else "fail"
        if self.known:
            outcome += " (known: %s)" % ", ".join(sorted(set(self.known)))
        record = dict(self.info, event="end", outcome=outcome, path=self.path,
                      seconds=round(seconds, 4))
        if outcome == "fail":
            record["error"] = "%s: %s" % (exc_type.__name__, str(exc)[:2000])
        log(record)
        if self.path:
            from hypothesis import event
            event(self.path)
        return False


class RidgeProblem:
    """The ridge objective ``sum_i s_i r_i^2 + alpha ||w||^2`` in units where
    max|y| and max(s) are about 1 (y, coef, intercept divided by ``unit``;
    weights and alpha by ``wunit``)."""

    def __init__(self, X, y, sample_weight, alpha, fit_intercept, positive):
        dtype = work_dtype(X)
        self.X = dense64(X)
        y = np.asarray(y).astype(dtype).astype(np.float64)
        self.unit = target_unit(y)
        self.y = y / self.unit
        s = np.ones(self.X.shape[0]) if sample_weight is None else \
            np.asarray(sample_weight).astype(dtype).astype(np.float64)
        self.wunit = float(s.max()) if s.size and s.max() > 0 else 1.0
        self.s = s / self.wunit
        T = 1 if self.y.ndim == 1 else self.y.shape[1]
        self.alpha = np.broadcast_to(np.asarray(alpha, float), (T,)) / self.wunit
        self.fit_intercept = fit_intercept
        self.positive = positive

    def _targets(self):
        return self.y[:, None] if self.y.ndim == 1 else self.y

    def objective(self, coef, intercept):
        """The objective at (coef, intercept); NaN where they are not finite
        (scikit-learn's RidgeCV returns NaN coefficients on some float32 sparse
        fits with extreme weights: no slack, see excess_over)."""
        W = np.asarray(coef, float).reshape(self._targets().shape[1], -1) / self.unit
        b = np.broadcast_to(np.asarray(intercept, float) / self.unit, (W.shape[0],))
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            return float("nan")
        Y = self._targets()
        return float(sum(ref.ridge_objective(self.X, Y[:, t], W[t], b[t], alpha=self.alpha[t],
                                             sample_weight=self.s)
                         for t in range(W.shape[0])))

    def null_objective(self):
        Y = self._targets()
        if self.fit_intercept:
            Y = Y - self.s @ Y / self.s.sum()
        return float(np.sum(self.s @ Y ** 2))

    def scale(self):
        return float(np.sum(self.s @ self._targets() ** 2))

    def optimum(self):
        """Exact optimal value (None when the solve fails)."""
        Y = self._targets()
        total = 0.0
        try:
            for t in range(Y.shape[1]):
                if self.positive:
                    total += _nnls_ridge(self.X, Y[:, t], self.alpha[t], self.s,
                                         self.fit_intercept)
                else:
                    # the reference's closed form and a least-squares solve of
                    # the augmented system (robust when alpha is tiny): both
                    # are objective values, the smaller is nearer P*
                    w, b = ref.ridge_closed_form(self.X, Y[:, t], alpha=self.alpha[t],
                                                 fit_intercept=self.fit_intercept,
                                                 sample_weight=self.s)
                    closed = ref.ridge_objective(self.X, Y[:, t], w, b, alpha=self.alpha[t],
                                                 sample_weight=self.s)
                    total += min(closed, _lstsq_ridge(self.X, Y[:, t], self.alpha[t], self.s,
                                                      self.fit_intercept))
        except (np.linalg.LinAlgError, RuntimeError, ValueError):
            return None
        return total


class LogisticProblem:
    """A fitted classifier's problem: effective weights (sample x class
    weights, float32-rounded for float32 X), objective, KKT violation and the
    rounding allowances of both."""

    def __init__(self, X, y, classes, sample_weight, params):
        dtype = work_dtype(X)
        self.X = dense64(X)
        self.y = np.asarray(y)
        self.classes = np.asarray(classes)
        sw = None if sample_weight is None else \
            np.asarray(sample_weight).astype(dtype).astype(np.float64)
        self.s = effective_weights(self.y, self.classes, sw, params.get("class_weight"))
        self.finite = bool(np.all(np.isfinite(self.s)))
        self.C = float(params["C"])
        self.l1_ratio = float(params.get("l1_ratio") or 0.0)
        self.fit_intercept = params["fit_intercept"]
        self.kkt_unit = self.C * self.s.sum()

    def objective(self, coef, intercept):
        return logistic_objective(self.X, self.y, self.classes, coef,
                                  intercept if self.fit_intercept else 0.0 * np.asarray(
                                      intercept, float), self.C, self.l1_ratio, self.s)

    def kkt(self, coef, intercept):
        return logistic_kkt(self.X, self.y, self.classes, coef, intercept, self.C,
                            self.l1_ratio, self.s, self.fit_intercept)

    def rounding(self, coef, intercept, dtype):
        """Allowance on a KKT violation: ULPS ulps of the gradient's terms, and
        the gradient's change under a rounding of every coefficient by one ulp
        of ``dtype`` (Hessian of the loss <= C/2 X^T S X)."""
        e = eps(dtype)
        absX = abs(self.X)
        col = np.asarray(absX.T @ self.s).ravel()
        W = np.abs(np.asarray(coef, float)).reshape(-1, self.X.shape[1])
        b = np.abs(np.atleast_1d(np.asarray(intercept, float)))
        dz = np.asarray(absX @ W.T).max(axis=1, initial=0.0) * e + b.max(initial=0) * e
        dg = 0.5 * self.C * np.asarray(absX.T @ (self.s * dz)).max(initial=0.0)
        terms = self.C * max(col.max(initial=0.0), self.s.sum()) + W.max(initial=0.0)
        return ULPS * (e * terms + dg + 0.5 * self.C * float(self.s @ dz))

    def objective_rounding(self, dtype, *objectives):
        return ULPS * eps(np.float64) * (self.C * self.s.sum() +
                                         sum(abs(o) for o in objectives))

    def distance(self, a, b):
        """l1 distance between two fits' coefficients and intercepts."""
        d = np.abs(np.asarray(a.coef_, float) - np.asarray(b.coef_, float)).sum()
        if self.fit_intercept:
            d += np.abs(np.asarray(a.intercept_, float) - np.asarray(b.intercept_, float)).sum()
        return float(d)


# ---------------------------------------------------------------------------
# Shared by the test modules
# ---------------------------------------------------------------------------

# fastreg refusals that scikit-learn does not make, and that fastreg documents.
# Refusals fastreg documents where scikit-learn fits: data beyond the
# computation's range (a y beyond float32's for float32 X: scikit-learn's
# RidgeCV returns infinite coefficients; a solution beyond float32's range:
# scikit-learn returns infinite or zero coefficients), and folds with no weight
# (scikit-learn divides by zero in the test fold and fits a zero-weight
# training fold on NaN weights).
DOCUMENTED = (r"scale the data", r"fold \d+'s (training|test) rows sum to zero",
              r"too large for X's dtype\('float32'\)",
              r"beyond the range of X's dtype float32",
              r"class_weight='balanced' needs every class")


def alpha_max(X, y, sw, l1_ratio, fit_intercept, multitask):
    """Smallest alpha giving w = 0 (group norm for the multi-task models); 1
    when it is 0 or cannot be computed (the fit is then expected to fail)."""
    try:
        Xd = dense64(X)
        Y = np.asarray(y, float)
        Y = Y[:, None] if Y.ndim == 1 else Y
        s = np.ones(Xd.shape[0]) if sw is None else np.asarray(sw, float)
        S = s.sum()
        if fit_intercept:
            Y = Y - s @ Y / S
        corr = np.asarray(Xd.T @ (s[:, None] * Y))
        if fit_intercept:
            corr = corr - np.outer(np.asarray(Xd.T @ s).ravel() / S, (s[:, None] * Y).sum(0))
        norms = np.sqrt((corr ** 2).sum(1)) if multitask else np.abs(corr).max(1)
        value = norms.max(initial=0.0) / (S * max(l1_ratio, 1e-3))
        return value if np.isfinite(value) and value > 0 else 1.0
    except Exception:  # noqa: BLE001 - degenerate weights: the fit will refuse them
        return 1.0


def as_float64_problem(X, y, sw):
    """The problem a float32 fit solves (y and weights rounded to float32),
    in float64; for other X the arguments themselves (a sparse X in CSR with
    32-bit indices, which every refining fit accepts)."""
    if work_dtype(X) != np.float32:
        return (dense64(X) if sp.issparse(X) else X), y, sw
    X64 = dense64(X) if sp.issparse(X) else np.asarray(X, np.float64)
    y64 = np.asarray(y).astype(np.float32).astype(np.float64)
    sw64 = None if sw is None else np.asarray(sw).astype(np.float32).astype(np.float64)
    return X64, y64, sw64


def gram_scale(X, sw):
    """Mean eigenvalue of the weighted centred Gram matrix (1 if it is 0)."""
    try:
        Xd = dense64(X)
        Xd = Xd.toarray() if hasattr(Xd, "toarray") else Xd
        s = np.ones(Xd.shape[0]) if sw is None else np.asarray(sw, float)
        Xc = Xd - s @ Xd / s.sum()
        value = float(np.sum(s @ Xc ** 2) / Xd.shape[1])
        return value if np.isfinite(value) and value > 0 else 1.0
    except Exception:  # noqa: BLE001 - degenerate weights: the fit will refuse them
        return 1.0
