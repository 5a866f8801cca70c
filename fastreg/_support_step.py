"""Support steps: exact moves on the support, between coordinate-descent epochs.

Coordinate descent can crawl once the support is found, when its columns are
strongly correlated (a microarray with more features in the support than
samples, say): each epoch then gains little. On a fixed support with fixed
signs the (elastic-net) objective is a quadratic, minimised by one linear
solve with the support's Gram matrix. A *support step* moves toward that
minimiser; the move stops where a coefficient would change sign (that
coefficient leaves the support: P decreases all along the segment, so this
point is better) and the next move starts from there on the smaller support,
until one completes. Moves are kept only if P did decrease, so a step never
hurts the iterate; the epochs that follow bring back any feature it dropped
wrongly and check optimality over the whole working set.
"""

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotrs


def add_to_diagonal(matrix, value):
    """matrix += value * I, in place (a strided view, no index arrays)."""
    matrix.flat[::matrix.shape[0] + 1] += value


def support_moves(hessian, gradient, w, l1_reg, *, max_moves, dtype):
    """Move ``w`` (the coefficients of the support) by support steps.

    On the support the smooth part of P is the quadratic with the given
    Hessian and gradient at ``w``, so moves, gradients and changes of P are
    all evaluated in the support's k dimensions, without the design.

    Parameters
    ----------
    hessian : ndarray (k, k)
        Hessian of the smooth part of P on the support (X_S^T S X_S + l2 I),
        in float64.
    gradient : ndarray (k,)
        Minus the gradient of the smooth part of P at ``w``.
    w : ndarray (k,)
        Current coefficients of the support, all nonzero.
    max_moves : int
        Moves (coefficients leaving the support) at most.
    dtype : dtype
        Precision of the coefficients: moves are rounded to it before they
        are evaluated.

    Returns
    -------
    ndarray (k,) in float64, or None if no move lowered P.
    """
    size = w.size
    # With more support than samples the Gram matrix is singular and P is
    # linear along its null space: a tiny ridge turns the solve into a long
    # move along it, which the first sign change then cuts short (one
    # coefficient leaves the support, as on a homotopy path).
    regularized = np.array(hessian, order="F")
    add_to_diagonal(regularized, 1e-12 * np.trace(hessian) / size)
    # LAPACK directly: these solves are small and a path takes hundreds of
    # them, so the checks of scipy.linalg's wrappers would cost more
    factor, info = dpotrf(regularized, lower=False, clean=False, overwrite_a=True)
    if info != 0:
        return None

    def solve(b):
        return dpotrs(factor, b)[0]

    origin = w = w.astype(np.float64)
    origin_l1 = np.abs(origin).sum()

    def change(new):
        """P(new) - P(origin), and the size of the terms it sums (its
        rounding error is about 1e-16 times that)."""
        d = new - origin
        linear, quadratic = gradient @ d, 0.5 * (d @ (hessian @ d))
        l1 = l1_reg * np.abs(new).sum()
        return (quadratic - linear + l1 - l1_reg * origin_l1,
                abs(linear) + quadratic + l1 + l1_reg * origin_l1)

    current = 0.0
    # coefficients that left the support, and the columns of gram^-1 there
    dropped = []
    inverse_columns = np.empty((size, 0))
    for _ in range(max_moves):
        signs = np.sign(w)
        step = solve(gradient - hessian @ (w - origin) - l1_reg * signs)
        if dropped:
            # the same solve with the dropped coefficients held at zero
            step -= inverse_columns @ np.linalg.solve(inverse_columns[dropped],
                                                      step[dropped])
            step[dropped] = 0.0
        if not np.all(np.isfinite(step)):
            break
        new = w + step
        flips = np.flatnonzero((np.sign(new) != signs) & (signs != 0))
        if flips.size:  # stop at the first sign change
            crossing = w[flips] / (w[flips] - new[flips])
            first = flips[np.argmin(crossing)]
            new = w + crossing.min() * step
            new[first] = 0.0
            dropped.append(first)
            unit = np.zeros(size)
            unit[first] = 1.0
            inverse_columns = np.column_stack([inverse_columns, solve(unit)])
        new = new.astype(dtype).astype(np.float64)
        value, scale = change(new)
        # (a decrease within rounding is no move)
        if not value < current - 1e-12 * scale:
            break
        w, current = new, value
        if not flips.size or len(dropped) == size:
            break
    return w if current < 0 else None


class SupportStepper:
    """Epochs in rounds, with a support step after each round that did not converge.

    A round costs about as much as one step, by operation counts (not by
    timing, so that a fit is reproducible); after a step that did not move,
    rounds double.
    """

    min_epochs = 50  # epochs in a round, at least
    max_support = 500  # larger supports take no step: the solve costs too much,
    # unless the support is nearly as large as the sample (up to max_saturated):
    # its Gram matrix is then (nearly) singular and epochs crawl, so steps pay
    # even at k^3 cost (1000 x 5000 at alpha_max / 1000, support ~990: 5.8 s
    # to a 1e-6 gap without steps, 3.1 s with them)
    saturation = 0.95
    max_saturated = 2000
    max_moves = 16

    def __init__(self, n_samples):
        self.n_samples = n_samples

    def takes_steps(self, k):
        """Whether a support of k coefficients is stepped."""
        return k <= self.max_support or (
            self.saturation * self.n_samples <= k <= self.max_saturated)

    def solve(self, run, step, support_size, epochs_per_step, max_iter, gap_tol):
        """Minimise to ``gap_tol`` in at most ``max_iter`` epochs.

        ``run(max_epochs)`` runs epochs and returns (gap, epochs);
        ``step()`` takes a support step and returns whether it moved;
        ``support_size()`` counts the nonzero coefficients;
        ``epochs_per_step()`` is the number of epochs that cost about one
        step from the current support. Returns (gap, epochs).
        """
        epochs = 0
        rounds = 1
        while True:
            budget = max_iter - epochs
            stepping = self.takes_steps(support_size())
            if stepping:
                per_step = max(self.min_epochs, int(epochs_per_step()))
                budget = min(budget, rounds * per_step)
            gap, spent = run(budget)
            epochs += spent
            if gap <= gap_tol or epochs >= max_iter or not stepping:
                return gap, epochs
            k = support_size()
            moved = 0 < k and self.takes_steps(k) and step()
            rounds = 1 if moved else 2 * rounds
