"""The proximal-gradient machinery shared by the least-squares and logistic solvers."""

import numpy as np

# Proximal-gradient solvers evaluate their stopping criterion (a duality gap or
# a KKT violation, which costs about one extra pass over X) every this many
# iterations rather than every iteration.
_CHECK_EVERY = 10


def _soft_threshold(V, threshold, positive=False):
    if positive:
        return np.maximum(V - threshold, 0.0)
    return np.sign(V) * np.maximum(np.abs(V) - threshold, 0.0)


def _step_size(lipschitz):
    """The step ``1 / L``; with ``L = 0`` the loss does not depend on the
    variables and any step works."""
    return 1.0 / lipschitz if lipschitz > 0 else 1.0


def _proximal_gradient(start, gradient, prox, step, optimality, threshold, max_iter,
                       accelerated):
    """Proximal gradient descent from ``start``: ISTA, or FISTA with adaptive restart.

    Each iteration is ``prox(Z - step * gradient(Z))``, where ``Z`` is the last
    iterate (ISTA) or the last iterate moved on by Beck & Teboulle's momentum
    (FISTA). ``optimality(theta)``, a duality gap or a KKT violation, is
    evaluated at the start and every ``_CHECK_EVERY`` iterations (and at the
    last); the iterations stop once it is at most ``threshold``.

    Returns
    -------
    theta : ndarray
        The last iterate.
    n_iter : int
        Number of iterations run (0 if ``start`` already met the threshold).
    """
    theta = start
    Z, t = theta, 1.0
    n_iter = 0
    if optimality(theta) > threshold:
        for n_iter in range(1, max_iter + 1):
            theta_new = prox(Z - step * gradient(Z))
            if not accelerated:
                Z = theta_new
            elif np.sum((Z - theta_new) * (theta_new - theta)) > 0:
                # Gradient-based adaptive restart (O'Donoghue & Candes, 2015):
                # the momentum points uphill, so drop it.
                Z, t = theta_new, 1.0
            else:
                t_new = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
                Z = theta_new + ((t - 1.0) / t_new) * (theta_new - theta)
                t = t_new
            theta = theta_new
            if n_iter % _CHECK_EVERY == 0 or n_iter == max_iter:
                if optimality(theta) <= threshold:
                    break
    return theta, n_iter
