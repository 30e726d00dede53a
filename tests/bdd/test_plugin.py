"""The plugin as a runner uses it: clause tags select scenarios as pytest markers."""
import subprocess
import sys

from pytest_bdd.feature import get_features

from server import PROJECT_ROOT

SUITE = PROJECT_ROOT / "server" / "scenarios" / "suite.py"


def tagged(clause):
    """How many tests the scenarios tagged `clause` make (one per example row of an outline)."""
    count = 0
    for feature in get_features([str(PROJECT_ROOT / "features")]):
        for template in feature.scenarios.values():
            if clause in template.tags:
                count += sum(len(e.examples) for e in template.examples) or 1
    return count


def test_a_clause_tag_selects_its_scenarios():
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(SUITE), "-p", "server.scenarios.plugin",
         "-m", "R3.3.4 or R4.3", "--collect-only", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "-W", "error::pytest.PytestUnknownMarkWarning"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    selected = [line for line in run.stdout.splitlines() if "::" in line]
    both = sum(1 for f in get_features([str(PROJECT_ROOT / "features")])
               for t in f.scenarios.values() if {"R3.3.4", "R4.3"} <= t.tags)
    assert len(selected) == tagged("R3.3.4") + tagged("R4.3") - both
    assert tagged("R3.3.4") >= 10
