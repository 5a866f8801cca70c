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

import time

import numpy as np
import scipy.linalg


def support_moves(gram, gradient, objective, w, l1_reg, *, max_moves, dtype):
    """Move ``w`` (the coefficients of the support) by support steps.

    Parameters
    ----------
    gram : ndarray (k, k)
        Hessian of the smooth part of P on the support (X_S^T S X_S + l2 I),
        in float64; overwritten.
    gradient : callable
        ``gradient(v)``: minus the gradient of the smooth part of P at v.
    objective : callable
        ``objective(v)``: P at v, up to a constant.
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
    gram[np.diag_indices_from(gram)] += 1e-12 * np.trace(gram) / size
    try:
        factor = scipy.linalg.cho_factor(gram)
    except (np.linalg.LinAlgError, ValueError):
        return None
    w = w.astype(np.float64)
    current = objective(w)
    # coefficients that left the support, and the columns of gram^-1 there
    dropped = []
    inverse_columns = np.empty((size, 0))
    moved = False
    for _ in range(max_moves):
        signs = np.sign(w)
        step = scipy.linalg.cho_solve(factor, gradient(w) - l1_reg * signs)
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
            inverse_columns = np.column_stack(
                [inverse_columns, scipy.linalg.cho_solve(factor, unit)])
        new = new.astype(dtype).astype(np.float64)
        value = objective(new)
        # (a decrease within rounding is no move)
        if not value < current - 1e-12 * abs(current):
            break
        w, current, moved = new, value, True
        if not flips.size or len(dropped) == size:
            break
    return w if moved else None


class SupportStepper:
    """Epochs in rounds, with a support step after each round that did not converge.

    A round costs about as much as one step: the ratio is first estimated
    from operation counts, then from the measured times of the last step
    (per squared support size) and the last epochs (per feature listed).
    After a step that did not move, rounds double.
    """

    min_epochs = 50  # epochs in a round, at least
    max_support = 500  # larger supports take no step: the solve costs too much
    max_moves = 16

    def __init__(self):
        self.step_seconds = None
        self.epoch_seconds = None

    def solve(self, run, step, support_size, n_listed, estimate, max_iter, gap_tol):
        """Minimise to ``gap_tol`` in at most ``max_iter`` epochs.

        ``run(max_epochs)`` runs epochs and returns (gap, epochs);
        ``step()`` takes a support step and returns whether it moved;
        ``support_size()`` counts the nonzero coefficients;
        ``estimate(k)`` is the number of epochs over the ``n_listed``
        features that cost about one step on a support of size k, from
        operation counts. Returns (gap, epochs).
        """
        epochs = 0
        rounds = 1
        while True:
            budget = max_iter - epochs
            size = support_size()
            stepping = size <= self.max_support
            if stepping:
                if self.step_seconds is None or self.epoch_seconds is None:
                    per_step = estimate(size)
                else:
                    per_step = (self.step_seconds * size * size
                                / max(self.epoch_seconds * n_listed, 1e-300))
                budget = min(budget, rounds * max(self.min_epochs, int(per_step)))
            start = time.perf_counter()
            gap, spent = run(budget)
            if spent:
                self.epoch_seconds = (time.perf_counter() - start) / (spent * n_listed)
            epochs += spent
            if gap <= gap_tol or epochs >= max_iter or not stepping:
                return gap, epochs
            size = support_size()
            moved = False
            if 0 < size <= self.max_support:
                start = time.perf_counter()
                moved = step()
                self.step_seconds = (time.perf_counter() - start) / size ** 2
            rounds = 1 if moved else 2 * rounds
