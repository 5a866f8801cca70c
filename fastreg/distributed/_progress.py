"""Progress of distributed fits: every pass over the data is reported as it
ends, as an INFO record of the logger ``fastreg.distributed`` (the estimator,
the pass's number and its seconds). A long fit (working sets, logistic
regression, leave-one-out) is followed with ``logging.basicConfig(level=
logging.INFO)``; the passes' total is the fitted ``n_passes_``.
"""

import logging
import time

LOGGER = logging.getLogger("fastreg.distributed")


def logged(run_pass, est):
    """``run_pass`` (any function running one pass over the data) that
    reports each of its calls for the estimator ``est``."""
    done = [0]

    def run(*args, **kwargs):
        start = time.perf_counter()
        out = run_pass(*args, **kwargs)
        done[0] += 1
        LOGGER.info("%s: pass %d over the data done in %.2f s", type(est).__name__, done[0],
                    time.perf_counter() - start)
        return out

    return run
