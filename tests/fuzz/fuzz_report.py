"""pytest plugin of the deep fuzz run (loaded by run_deep.py with ``-p
fuzz_report``): appends every failed test's report, with hypothesis's
minimal falsifying example, to the JSON-lines file ``FASTREG_FUZZ_FAILURES``."""

import json
import os
import time


def pytest_runtest_logreport(report):
    path = os.environ.get("FASTREG_FUZZ_FAILURES")
    if not path or not report.failed:
        return
    with open(path, "a") as f:
        f.write(json.dumps({"nodeid": report.nodeid, "when": report.when, "t": time.time(),
                            "longrepr": str(report.longrepr)[-30000:]}) + "\n")
