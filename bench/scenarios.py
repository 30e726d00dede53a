"""The behaviour suite's run time: the whole suite in-process (engine driver), as the reviewer's
runner runs it; the goal is under 10 s. Optionally the same suite over HTTP for comparison.

    .venv/bin/python bench/scenarios.py                 # 3 in-process runs
    .venv/bin/python bench/scenarios.py --rounds 5 --http

Per run it prints the scenarios' own time (set-up, steps and tear-down of every scenario, the
template database included: the plugin's 巡查场景 line), the whole run as a reviewer waits for
it (pytest start-up, collection, reports), and the flow-node coverage. The final line is
`ratio: X` = median scenario time / 10 s goal (below 1 meets the goal); with --http also the
ratio of the HTTP suite's scenario time to the in-process one.
"""
import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.scenarios import runner  # noqa: E402

GOAL_SECONDS = 10.0
SUITE_LINE = re.compile(r"巡查场景：(\d+) 个.*用时 ([\d.]+) 秒（CPU ([\d.]+) 秒）")


def measure(driver, folder):
    result = runner.run(driver=driver, out_dir=folder)
    if not result.passed:
        failed = [s["name"] for s in result.scenarios if s["status"] != "passed"]
        raise SystemExit(f"{driver}: the suite did not pass: {failed or result.error}")
    log = Path(result.files["log"]).read_text(encoding="utf-8")
    count, wall, cpu = SUITE_LINE.search(log).groups()
    totals = result.coverage["totals"]
    print(f"{driver:>6}: {count} scenarios in {float(wall):5.2f} s (CPU {float(cpu):5.2f} s); "
          f"whole run {result.seconds:5.2f} s; flow nodes {totals['nodes_covered']}/"
          f"{totals['nodes_total']} ({totals['nodes_ratio']:.1%})", flush=True)
    return float(wall)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="also run the suite over HTTP once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-scenarios-") as folder:
        engine = [measure("engine", Path(folder) / f"engine-{n}") for n in range(args.rounds)]
        median = statistics.median(engine)
        print(f"in-process suite: median {median:.2f} s over {args.rounds} runs "
              f"(goal < {GOAL_SECONDS:.0f} s)")
        if args.http:
            http = measure("http", Path(folder) / "http")
            print(f"http / in-process: {http / median:.1f}x")
    print(f"ratio: {median / GOAL_SECONDS:.2f}")


if __name__ == "__main__":
    main()
