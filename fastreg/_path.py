"""Coordinate-descent driver: regularization paths on a prepared design.

The driver owns what is shared between alphas: the design (norms, means,
Gram), the warm-started coefficients and the residual, which is carried from
one alpha to the next instead of being recomputed. Kernels do the epochs, on
one of two routes: the residual route (:mod:`fastreg._working_set`) and the
Gram route (:mod:`fastreg._gram_route`).
"""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_random_state

from ._alpha_grid import _resolve_alphas, alpha_grid, penalty_alpha_grid
from ._design import Design, use_gram
from ._docstring import parameters_section
from ._feature_penalty import PARAMETER_DOCS, feature_penalty, with_positive
from ._gram_route import _GramRoute, _MultiTaskGramRoute, gram_route  # noqa: F401
from ._least_squares import least_squares_optimum
from ._penalty_route import PenaltyRoute, clipped_start
from ._validation import (check_gram, check_int, check_option, check_precompute,
                          check_real, check_sample_weight)
from ._working_set import _WorkingSetSolver


# scikit-learn's addition to the convergence warning without an L1 penalty
_NO_L1_ADVICE = ("Linear regression models with a zero l1 penalization strength are more"
                 " efficiently fitted using one of the solvers implemented in"
                 " sklearn.linear_model.Ridge/RidgeCV instead.")


def _warn_not_converged(gap, gap_tol, sum_w, n_iter, max_iter, dtype, l1_reg):
    if n_iter < max_iter:  # the epochs stopped improving the iterate
        advice = (f"after {n_iter} epochs, where further epochs no longer move the"
                  " coefficients or lower the duality gap and the objective: more"
                  " epochs would not help, the tolerance is below the rounding error"
                  " of the computation. Loosen tol"
                  + (", or fit in float64." if dtype == np.float32 else "."))
    else:
        advice = (f"after {max_iter} epochs. Increase max_iter, loosen tol, standardize"
                  " the features, or increase the regularization.")
    if l1_reg < np.finfo(np.float64).eps:
        advice += "\n" + _NO_L1_ADVICE
    warnings.warn(
        "Objective did not converge: duality gap "
        f"{gap / sum_w:.3e} > tolerance {gap_tol / sum_w:.3e} " + advice,
        ConvergenceWarning,
        stacklevel=4,
    )


def solve_path(design, Y_c, alphas, *, l1_ratio, coef_init=None, tol=1e-4,
               max_iter=1000, positive=False, random_state=None,
               selection="cyclic", Xy=None, multi_task=False, warn=True,
               gram_budget=None, penalty=None):
    """Coordinate descent along ``alphas`` (in the given order), warm-started.

    Parameters
    ----------
    design : Design
    Y_c : ndarray (n_samples,) or (n_samples, n_tasks), centred target
    alphas : sequence of float
    coef_init : ndarray (n_features,) or (n_tasks, n_features), optional
    multi_task : bool
        Couple the columns of Y_c with the L2,1 penalty; otherwise Y_c must
        be 1d.
    gram_budget : int, optional
        Residual epochs after which a design that allows it forms its Gram
        matrix (default: :meth:`Design.gram_worth_after`, divided between
        the tasks); a caller that fits several targets on one design, which
        share the Gram matrix, divides it between them.
    penalty : FeaturePenalty, optional
        Per-feature penalty factors and bounds (``positive`` folded in, see
        :func:`fastreg._feature_penalty.with_positive`), one task only: the
        path then takes :class:`fastreg._penalty_route.PenaltyRoute`, and
        a warm start outside the bounds is clipped to them.

    Returns
    -------
    coefs : ndarray (n_tasks, n_features, n_alphas)
    gaps : ndarray (n_alphas,), in the estimators' units (scaled by 1/sum_w)
    n_iters : list of int
    """
    dtype = design.dtype
    Y = np.asfortranarray(Y_c.reshape(Y_c.shape[0], -1), dtype=dtype)
    n_tasks = Y.shape[1]
    if n_tasks > 1 and not multi_task:
        raise ValueError("solve_path handles one target at a time unless multi_task")
    # The problem is solved for s Y, s a power of two (exact), whose
    # coefficients are s W at l1_reg s: see _target_scale.
    y_scale = _target_scale(design, Y)
    if y_scale != 1.0:
        # (in float64: the factor itself may be beyond float32's range)
        Y = np.asfortranarray(Y.astype(np.float64) * y_scale, dtype=dtype)
        Xy = None if Xy is None else np.asarray(Xy) * y_scale
    W = np.zeros((n_tasks, design.n_features), dtype=dtype, order="F")
    if coef_init is not None:
        W[:] = np.asarray(coef_init, dtype=dtype).reshape(n_tasks, design.n_features)
        W[:] = W.astype(np.float64) * y_scale
    if penalty is not None:
        if n_tasks > 1:
            raise ValueError("penalty_factor, lower_bounds and upper_bounds need a single"
                             " target (y.ndim == 1).")
        clipped_start(penalty, W, y_scale)
    rng = check_random_state(random_state)
    # one contiguous row per alpha (columns of a (p, n_alphas) array would
    # scatter each alpha's writes over p cache lines)
    by_alpha = np.empty((len(alphas), n_tasks, design.n_features), dtype=dtype)
    gaps = np.empty(len(alphas))
    n_iters = []
    gap_tol = tol * sum(design.y_norm2(Y[:, t]) for t in range(n_tasks))
    if penalty is None:
        routes = _Routes(design, W, Y, Xy, gram_budget=gram_budget,
                         random=selection == "random", positive=positive)
    else:
        routes = PenaltyRoute(design, W, Y, Xy, penalty, y_scale=y_scale,
                              random=selection == "random")
    ls_optimum = None  # min of P without a penalty, once an alpha is 0
    for k, alpha in enumerate(alphas):
        l1_reg = alpha * l1_ratio * design.sum_w * y_scale
        l2_reg = alpha * (1 - l1_ratio) * design.sum_w
        if penalty is not None:
            gap, n_iter = routes.solve(l1_reg, l2_reg, max_iter, tol, gap_tol, rng)
        else:
            optimum = -1.0
            if l1_reg == 0 and l2_reg == 0:
                if ls_optimum is None:
                    ls_optimum = least_squares_optimum(design, Y)
                optimum = ls_optimum
            gap, n_iter = routes.solve(l1_reg, l2_reg, max_iter, tol, gap_tol, rng, optimum)
        by_alpha[k] = W
        gaps[k] = gap / y_scale / y_scale / design.sum_w
        n_iters.append(n_iter)
        if warn and gap > gap_tol:
            _warn_not_converged(gap / y_scale / y_scale, gap_tol / y_scale / y_scale, design.sum_w,
                                n_iter, max_iter, dtype, l1_reg / y_scale)
    if y_scale != 1.0:
        by_alpha[:] = by_alpha.astype(np.float64) / y_scale
    return by_alpha.transpose(1, 2, 0), gaps, n_iters


class _Routes:
    """The routes of one path over W (n_tasks, n_features), which they update.

    The residual route (working sets) runs first, unless the design comes
    with its Gram matrix; the Gram route takes over once the residual epochs
    have cost what forming the Gram matrix would, where the design allows it.
    """

    def __init__(self, design, W, Y, Xy, *, gram_budget, random, positive):
        self.design, self.W, self.Y, self.Xy = design, W, Y, Xy
        self.random, self.positive = random, positive
        self.gram = gram_route(design, W, Y, Xy) if (
            design.gram_allowed and design.gram is not None) else None
        self.residual = None
        self.budget = _residual_budget(design, gram_budget, W.shape[0])

    def solve(self, l1_reg, l2_reg, max_iter, tol, gap_tol, rng, optimum):
        """Minimise P for one alpha from the current W; return (gap, epochs)."""
        gap, n_iter = np.inf, 0
        if self.gram is None:
            if self.residual is None:
                self.residual = _WorkingSetSolver(self.design, self.W, self.Y,
                                                  random=self.random, positive=self.positive)
            gap, n_iter = self.residual.solve(l1_reg, l2_reg, int(min(max_iter, self.budget)),
                                              tol, gap_tol, rng, optimum)
            self.budget -= n_iter
            if gap > gap_tol and n_iter < max_iter and self.budget <= 0:
                self.design.form_gram()
                self.gram = gram_route(self.design, self.W, self.Y, self.Xy)
        if self.gram is not None and n_iter < max_iter and gap > gap_tol:
            gap, more = self.gram.solve(l1_reg, l2_reg, max_iter - n_iter, tol, gap_tol, rng,
                                        random=self.random, positive=self.positive,
                                        optimum=optimum)
            n_iter += more
            self.gram.copy_to(self.W)
        return gap, n_iter


def _residual_budget(design, gram_budget, n_tasks):
    """Residual epochs left before the Gram matrix would have paid for
    itself (infinite where the design does not allow one).

    A dense multi-task epoch reads the residual of every task, twice:
    measured on 7291 x 256 x 5, one costs half of the Gram matrix's p / 8
    passes; a sparse one costs less against a sparse Gram matrix than its
    estimate says: on 20000 x 1000 at 1 %, 3 tasks, five epochs ended the
    fit in a third of the Gram matrix's time.
    """
    if not design.gram_allowed:
        return np.inf
    budget = design.gram_worth_after() if gram_budget is None else gram_budget
    if n_tasks > 1 and not design.is_sparse:
        budget = max(1, budget // (4 * n_tasks))
    return budget


# Largest |log2| of the target's magnitude, and of the coefficients' (|y| /
# |x|), that the solvers take as they are, per dtype; see _target_scale.
_TARGET_LOG2_RANGE = {np.dtype(np.float64): 100, np.dtype(np.float32): 30}


def _target_scale(design, Y):
    """A power of two s by which to scale the target (1 for ordinary data).

    The solvers square the residual and the coefficients (norms, the group
    penalty, the gap's terms). Where y or the coefficients' size |y| / |x| is
    extreme, those squares leave the floating-point range: with y ~ 1e-150
    and X ~ 1e50 the group norms of coefficients ~ 1e-201 underflowed to 0
    and MultiTaskLasso claimed convergence 12 times above its tolerance. The
    problem in s y, s l1_reg has the solution s w, exactly for a power of
    two; s brings log2 of both sizes to opposite sides of 0.
    """
    y_max = float(np.max(np.abs(Y), initial=0.0))
    x_max = float(np.sqrt(np.max(design.norm2_cols, initial=0.0)))
    if not (0 < y_max < np.inf and 0 < x_max < np.inf):
        return 1.0
    limit = _TARGET_LOG2_RANGE.get(design.dtype, 30)
    log_y, log_unit = np.log2(y_max), np.log2(y_max / x_max)
    if max(abs(log_y), abs(log_unit)) <= limit:
        return 1.0
    shift = np.clip(np.round(-(log_y + log_unit) / 2), -limit - log_y, limit - log_y)
    return float(2.0 ** int(shift))


def _pop_solver_params(params):
    """enet_path's ``**params``, checked: (sample_weight, tol, max_iter,
    random_state, selection); anything else is refused."""
    sample_weight = params.pop("sample_weight", None)
    tol = check_real(params.pop("tol", 1e-4), "tol", low=0)
    max_iter = check_int(params.pop("max_iter", 1000), "max_iter", low=1)
    random_state = params.pop("random_state", None)
    selection = check_option(params.pop("selection", "cyclic"), "selection",
                             {"cyclic", "random"})
    if params:
        raise ValueError("Unexpected parameters in params", params.keys())
    return sample_weight, tol, max_iter, random_state, selection


def _check_path_data(X, y):
    """X (dense or CSR/CSC, float64 or float32) and y of X's dtype and rows."""
    X = check_array(X, accept_sparse=["csc", "csr"], dtype=[np.float64, np.float32],
                    input_name="X")
    y = check_array(y, ensure_2d=False, dtype=X.dtype, input_name="y")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and"
            f" {y.shape[0]}.")
    return X, y


def _path_design(X, precompute, sample_weight):
    """The design of a path (no intercept), with the Gram matrix passed as
    ``precompute`` or the one its shape asks for; weights sum to n_samples."""
    sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    if sample_weight is not None:
        sample_weight = sample_weight * (X.shape[0] / np.sum(sample_weight))
    if hasattr(precompute, "__array__"):
        gram = (check_gram(precompute, X) if sample_weight is None
                else check_array(precompute, dtype=X.dtype, input_name="precompute"))
    else:
        gram = use_gram(X, precompute)
    return Design(X, fit_intercept=False, sample_weight=sample_weight, gram=gram)


def _path_alphas(design, y, Xy, n_or_alphas, *, l1_ratio, eps, positive, penalty):
    """The path's alphas, in decreasing order: the automatic grid of
    ``n_or_alphas`` values (an int), or the alphas given."""
    if not isinstance(n_or_alphas, numbers.Integral):
        return np.sort(n_or_alphas)[::-1]
    if penalty is not None:
        return penalty_alpha_grid(design, y, penalty, l1_ratio=l1_ratio, eps=eps,
                                  n_alphas=n_or_alphas)
    xy_top = design.xty(y) if Xy is None else Xy
    return alpha_grid(design, xy_top, l1_ratio=l1_ratio, eps=eps, n_alphas=n_or_alphas,
                      positive=positive)


def enet_path(X, y, *, l1_ratio=0.5, eps=1e-3, n_alphas="deprecated", alphas="warn",
              precompute="auto", Xy=None, copy_X=True, coef_init=None, verbose=False,
              return_n_iter=False, positive=False, check_input=True, penalty_factor=None,
              lower_bounds=None, upper_bounds=None, **params):
    """Compute the elastic-net path with coordinate descent.

    Same signature, defaults and return values as
    :func:`sklearn.linear_model.enet_path`. The objective, for one output, is::

        1 / (2 * n_samples) * ||y - Xw||^2_2
        + alpha * l1_ratio * ||w||_1
        + 0.5 * alpha * (1 - l1_ratio) * ||w||^2_2

    and for several outputs the L2,1 (multi-task) penalty on the rows of W.
    As in scikit-learn, X and y are used as given (no intercept is fitted).
    ``penalty_factor`` weighs each feature's penalty and ``lower_bounds`` /
    ``upper_bounds`` bound its coefficient (one output only).
    """
    sample_weight, tol, max_iter, random_state, selection = _pop_solver_params(params)
    check_real(l1_ratio, "l1_ratio", low=0, high=1)
    check_real(eps, "eps", low=0, low_open=True)
    precompute = check_precompute(precompute)
    n_or_alphas = _resolve_alphas(alphas, n_alphas)
    if check_input:
        X, y = _check_path_data(X, y)
    multi_output = y.ndim > 1
    if multi_output and positive:
        raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1)")
    penalty = _path_penalty(penalty_factor, lower_bounds, upper_bounds, X.shape[1],
                            positive, multi_output)
    design = _path_design(X, precompute, sample_weight)
    if Xy is not None:
        Xy = check_array(Xy, ensure_2d=False, dtype=X.dtype, input_name="Xy")
    alphas = _path_alphas(design, y, Xy, n_or_alphas, l1_ratio=l1_ratio, eps=eps,
                          positive=positive, penalty=penalty)
    coefs, gaps, n_iters = solve_path(
        design, y, alphas, l1_ratio=l1_ratio, coef_init=coef_init, tol=tol,
        max_iter=max_iter, positive=positive, random_state=random_state,
        selection=selection, Xy=Xy, multi_task=multi_output, penalty=penalty)
    if not multi_output:
        coefs = coefs[0]
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps


def _path_penalty(penalty_factor, lower_bounds, upper_bounds, n_features, positive,
                  multi_output):
    """The path's FeaturePenalty (``positive`` folded in), or None for the
    plain penalty."""
    penalty = feature_penalty(penalty_factor, lower_bounds, upper_bounds, n_features)
    if penalty is None:
        return None
    if multi_output:
        raise ValueError("penalty_factor, lower_bounds and upper_bounds need a single"
                         " target: they are not allowed for multi-output y.")
    return with_positive(penalty, n_features, positive)


def lasso_path(X, y, *, eps=1e-3, n_alphas="deprecated", alphas="warn",
               precompute="auto", Xy=None, copy_X=True, coef_init=None, verbose=False,
               return_n_iter=False, positive=False, penalty_factor=None, lower_bounds=None,
               upper_bounds=None, **params):
    """Compute the Lasso path with coordinate descent.

    Same signature and return values as :func:`sklearn.linear_model.lasso_path`;
    this is :func:`enet_path` with ``l1_ratio=1``. The objective, for one
    output, is ``1 / (2 * n_samples) * ||y - Xw||^2_2 + alpha * ||w||_1``.
    Each alpha is solved starting from the previous one's solution.
    """
    return enet_path(X, y, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas,
                     precompute=precompute, Xy=Xy, copy_X=copy_X, coef_init=coef_init,
                     verbose=verbose, return_n_iter=return_n_iter, positive=positive,
                     penalty_factor=penalty_factor, lower_bounds=lower_bounds,
                     upper_bounds=upper_bounds, **params)


# The parameters of the two paths, described once.
_PATH_PARAMS = {
    "X": """X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
        Training data, float64 or float32 (kept), dense or CSR/CSC. No
        intercept is fitted: centre X and y first if you need one.""",
    "y": """y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; several columns give the multi-task path.""",
    "l1_ratio": """l1_ratio : float, default=0.5
        Mix of the L1 and L2 penalties, ``0 <= l1_ratio <= 1`` (1 is the
        Lasso).""",
    "eps": """eps : float, default=1e-3
        Length of the automatic grid: ``alpha_min / alpha_max``.""",
    "n_alphas": """n_alphas : int, deprecated
        Number of alphas of the automatic grid; deprecated as in
        scikit-learn 1.9, pass ``alphas=int`` instead.""",
    "alphas": """alphas : int or array-like, default=100
        Number of alphas of the automatic grid, log-spaced from
        ``alpha_max`` (the smallest alpha whose solution is all zero) down to
        ``eps * alpha_max``; or the alphas themselves (solved in decreasing
        order). The default spelled ``'warn'`` means 100.""",
    "precompute": """precompute : 'auto', bool or array-like of shape (n_features, n_features), \
default='auto'
        Use the Gram matrix ``X^T X`` (or the one passed) instead of residual
        updates; 'auto' decides by shape. The solution is the same.""",
    "Xy": """Xy : array-like of shape (n_features,) or (n_features, n_targets), default=None
        ``X^T y``, used with a precomputed Gram matrix.""",
    "copy_X": """copy_X : bool, default=True
        Accepted for compatibility; X is never modified.""",
    "coef_init": """coef_init : array-like of shape (n_features,), default=None
        Initial coefficients: the warm start of the first alpha.""",
    "verbose": """verbose : bool or int, default=False
        Print progress.""",
    "return_n_iter": """return_n_iter : bool, default=False
        Also return the number of epochs of each alpha.""",
    "positive": """positive : bool, default=False
        Force the coefficients to be positive (single output only).""",
    "check_input": """check_input : bool, default=True
        Validate X and y; False skips the checks, for callers that already
        made them.""",
    **{name: doc.replace("{", "{{").replace("}", "}}") for name, doc in PARAMETER_DOCS.items()},
    "params": """**params : dict
        Solver settings: ``tol`` (default 1e-4; each alpha stops when its
        duality gap is below ``tol * ||y||^2 / n_samples``), ``max_iter``
        (default 1000 epochs per alpha), ``selection`` ('cyclic' or
        'random'), ``random_state``, and ``sample_weight`` (rescaled to sum
        to n_samples). Anything else raises a ValueError.""",
}

_PATH_DOC = """
    Parameters
    ----------
    {parameters}

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The alphas of the path, in decreasing order.
    coefs : ndarray of shape (n_features, n_alphas) or (n_targets, n_features, n_alphas)
        The coefficients at each alpha.
    dual_gaps : ndarray of shape (n_alphas,)
        The duality gap at the end of each alpha's optimization.
    n_iters : list of int
        Epochs run at each alpha; returned only if ``return_n_iter``.
    """

enet_path.__doc__ += _PATH_DOC.format(parameters=parameters_section(enet_path, _PATH_PARAMS))
lasso_path.__doc__ += _PATH_DOC.format(
    parameters=parameters_section(lasso_path, _PATH_PARAMS)) + """
    See Also
    --------
    enet_path : the elastic-net path.
    LassoCV : alpha chosen by cross-validation along this path.
    LassoIC : alpha chosen by AIC or BIC along this path.

    Examples
    --------
    >>> import numpy as np
    >>> from fastreg import lasso_path
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [0.0, 1.0]])
    >>> y = np.array([1.0, 2.0, 3.0, 0.0])
    >>> alphas, coefs, gaps = lasso_path(X, y, alphas=5)
    >>> coefs.shape
    (2, 5)
    """
