"""pytest plugin of `make test-asan` (.ci/test-asan.sh loads it): tests whose
assertions hold only with the release build's floating-point rounding.

The sanitizer build computes in another order (bounds-checked loops are not
vectorised, -O1), so a result at the rounding floor can land on the other side
of a threshold. These tests still run, so the sanitizers check every memory
access of theirs; an AssertionError counts as an expected failure, any other
exception (an IndexError of a bounds check) still fails. Keys are node ids
without their parameters.
"""

import pytest

ROUNDING = {
    # Leukemia folds at alpha_max / 54, tol 1e-14 and 1e-15: the tests expect
    # the gap to stall above tol and the fit to warn "would not help". On the
    # fold (3, 0) the release build's gap stalls at 1.46e-14 (in tol's units);
    # the sanitizer build's comes out at -6e-16 after 200 epochs, below any
    # tol, and the fit ends without a warning.
    "tests/test_tol_monotone.py::test_a_tol_below_the_floor_does_not_leave_the_working_set_short":
        "asserts a duality gap above its rounding floor in the release build",
    "tests/test_tol_monotone.py::test_a_fit_at_its_floor_stops_within_a_few_gap_cadences":
        "asserts a duality gap above its rounding floor in the release build",
    # Two fits stopped by tol (1e-4) compared at rtol 1e-6: where each stops
    # depends on the rounding (the sanitizer build's intercepts differ by 4e-6).
    "tests/test_multitask_routes.py::test_multi_output_matches_per_target_fits":
        "compares two tol-limited fits closer than tol, as the release build's rounding allows",
    # The stored runs are the release build's bits (tests/data/*.npz): the
    # sanitizer build's iterates differ in the last bits (1e-16 to 1e-15).
    "tests/test_cd_stored_run.py::test_bitwise_equal":
        "compares with the release build's stored bits",
    "tests/test_solver_stored_run.py::test_same_bits_as_stored":
        "compares with the release build's stored bits",
    "tests/test_sgd_stored_run.py::test_sgd_reproduces_stored_run":
        "compares with the release build's stored bits",
    # The quick benchmark gives each solver a time budget; the checked build
    # runs several times slower and scikit-learn's liblinear ran out of it.
    "tests/test_benchmark_logistic.py::test_quick_run":
        "time-budgeted: the checked build is several times slower",
}


def pytest_collection_modifyitems(items):
    for item in items:
        reason = ROUNDING.get(item.nodeid.split("[")[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, raises=AssertionError,
                                              strict=False))
