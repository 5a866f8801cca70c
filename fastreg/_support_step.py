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

The moves, and whole steps on dense designs, are compiled
(:mod:`fastreg._support_moves`).
"""


def add_to_diagonal(matrix, value):
    """matrix += value * I, in place (a strided view, no index arrays)."""
    matrix.flat[::matrix.shape[0] + 1] += value


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
    max_per_sample = 2  # nor beyond this many times the sample (see takes_steps)
    max_moves = 16

    def __init__(self, n_samples):
        self.n_samples = n_samples

    def takes_steps(self, k):
        """Whether a support of k coefficients is stepped. Not beyond
        max_per_sample times the sample: the support's Gram matrix has rank
        at most n, a step runs along its null space (curvature l2_reg alone)
        until sign changes stop it, and each of its moves costs k^3 for
        little (13 x 285 at alpha_max / 1e10: 27 ms a step every 50 epochs,
        300 times scikit-learn's time). Supports somewhat above n, on their
        way to a saturated optimum, keep their steps (40 x 300: steps at
        supports of 44 to 57 save a fifth of the epochs)."""
        if k > self.max_per_sample * self.n_samples:
            return False
        return k <= self.max_support or (
            self.saturation * self.n_samples <= k <= self.max_saturated)

    def solve(self, run, step, support_size, epochs_per_step, max_iter, gap_tol,
              step_first=False):
        """Minimise to ``gap_tol`` in at most ``max_iter`` epochs.

        ``run(max_epochs)`` runs epochs and returns (gap, epochs);
        ``step()`` takes a support step and returns whether it moved;
        ``support_size()`` counts the nonzero coefficients;
        ``epochs_per_step()`` is the number of epochs that cost about one
        step from the current support. With ``step_first`` (a warm start
        from a nearby solution, as along a path, whose support and signs are
        likely the new solution's) a step that costs no more than
        ``min_epochs`` epochs comes first. Returns (gap, epochs).
        """
        epochs = 0
        rounds = 1
        if step_first:
            k = support_size()
            if 0 < k and self.takes_steps(k) and epochs_per_step() <= self.min_epochs:
                step()
        while True:
            budget = max_iter - epochs
            stepping = self.takes_steps(support_size())
            if stepping:
                per_step = max(self.min_epochs, int(epochs_per_step()))
                budget = min(budget, rounds * per_step)
            gap, spent = run(budget)
            epochs += spent
            # (spent < budget short of gap_tol: the epochs no longer moved the
            # coefficients or lowered the gap and the objective, they are at
            # the minimum up to rounding)
            if gap <= gap_tol or epochs >= max_iter or not stepping or spent < budget:
                return gap, epochs
            k = support_size()
            moved = 0 < k and self.takes_steps(k) and step()
            rounds = 1 if moved else 2 * rounds
