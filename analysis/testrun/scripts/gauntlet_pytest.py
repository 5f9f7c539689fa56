"""gauntlet's pytest plugin: per-test results as JSON lines, and coverage
with one coverage.py dynamic context per test (the test's node id).

Loaded with `-p gauntlet_pytest`; configured by environment variables:
GAUNTLET_RESULTS (a file to write results to), GAUNTLET_COVERAGE (a coverage
data file; unset means no coverage) and GAUNTLET_COVERAGE_SOURCE (the
directory whose code is measured).
"""

import json
import os

_cov = None
if os.environ.get("GAUNTLET_COVERAGE"):
    import coverage

    # Started at plugin load, before conftest files and test modules are
    # imported, so that their module-level lines count (as the empty context).
    _cov = coverage.Coverage(
        data_file=os.environ["GAUNTLET_COVERAGE"],
        source=[os.environ.get("GAUNTLET_COVERAGE_SOURCE", os.getcwd())],
        omit=["*/site-packages/*", "*/dist-packages/*"],
        config_file=False,
    )
    _cov.start()

_out = None


def _write(record):
    global _out
    path = os.environ.get("GAUNTLET_RESULTS")
    if not path:
        return
    if _out is None:
        _out = open(path, "a", encoding="utf-8")
    _out.write(json.dumps(record) + "\n")
    _out.flush()


def pytest_runtest_protocol(item, nextitem):
    if _cov is not None:
        _cov.switch_context(item.nodeid)
    _write({"event": "start", "nodeid": item.nodeid, "location": list(item.location)})


def pytest_runtest_logreport(report):
    rec = {
        "event": "report",
        "nodeid": report.nodeid,
        "when": report.when,
        "outcome": report.outcome,
        "duration": report.duration,
        "location": list(report.location) if report.location else None,
    }
    if report.failed or report.skipped:
        rec["longrepr"] = str(report.longrepr)
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            rec["crash"] = [crash.path, crash.lineno]
    _write(rec)


def pytest_collection_finish(session):
    # With GAUNTLET_COLLECT: pytest's own list of tests (node ids and where
    # each is defined), for `--collect-only` discovery.
    path = os.environ.get("GAUNTLET_COLLECT")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as f:
        for item in session.items:
            loc = list(item.location)
            try:
                fspath = str(item.path)
            except AttributeError:  # pytest < 7
                fspath = str(item.fspath)
            f.write(json.dumps({"nodeid": item.nodeid, "name": item.name, "location": loc, "path": fspath}) + "\n")


def pytest_collectreport(report):
    if report.failed:
        _write({"event": "collect_error", "nodeid": report.nodeid, "longrepr": str(report.longrepr)})


def pytest_sessionfinish(session, exitstatus):
    if _cov is not None:
        _cov.switch_context("")
        _cov.stop()
        _cov.save()
        report = os.environ.get("GAUNTLET_COVERAGE_JSON")
        if report:
            # Written here so that no second interpreter has to find coverage.py.
            _cov.json_report(outfile=report, show_contexts=True)
    if _out is not None:
        _out.flush()
