"""``python -m benchmarks``: run the suite, write the JSON and markdown reports, print the table.

Examples
--------
``python -m benchmarks``                          the full suite, 3 repeats
``python -m benchmarks --quick``                   steps divided by 50, for a smoke test
``python -m benchmarks --workloads W1,W4 --frameworks layerkit,numpy,torch``
``python -m benchmarks --dtypes float32``          one dtype only
``python -m benchmarks --update-docs``             also refresh docs/performance.md's table
``python -m benchmarks --report benchmarks/results/latest.json --update-docs``
                                                   re-render a saved run, without running
                                                   (its medians and targets recomputed)
"""

import argparse
import json
import sys
from pathlib import Path

from benchmarks import report, runner, summary
from benchmarks.workloads import DTYPES, FRAMEWORKS, WORKLOADS

QUICK_DIVISOR = 50


def _names(text, valid, what):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in valid]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown {what} {unknown or text!r}; valid: "
                                         f"{', '.join(valid)}")
    return names


def parse_args(argv=None):
    """The command line's options (see ``python -m benchmarks --help``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"divide every workload's steps by {QUICK_DIVISOR} (a smoke test)")
    parser.add_argument("--divisor", type=int, default=None,
                        help="divide the steps by this instead (implies a quick run)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each cell (default 3)")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                        type=lambda t: _names(t, FRAMEWORKS, "framework"),
                        help="comma-separated, from: " + ",".join(FRAMEWORKS)
                        + " (numpy: the lean hand-written NumPy loop)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        type=lambda t: _names(t, list(WORKLOADS), "workload"),
                        help="comma-separated, from: " + ",".join(WORKLOADS))
    parser.add_argument("--dtypes", default=",".join(DTYPES),
                        type=lambda t: _names(t, DTYPES, "dtype"),
                        help="comma-separated, from: " + ",".join(DTYPES))
    parser.add_argument("--output", type=Path, default=runner.ROOT / "benchmarks" / "results",
                        help="folder of the JSON and markdown reports (default benchmarks/results)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per run")
    parser.add_argument("--update-docs", action="store_true",
                        help="replace the Results section of docs/performance.md (needs every "
                        "framework)")
    parser.add_argument("--report", type=Path, metavar="JSON",
                        help="render a saved results file instead of running the suite")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1. Received: {args.repeats}")
    return args


def main(argv=None):
    """Run the suite (or re-render ``--report``), write the reports, print the markdown table."""
    args = parse_args(argv)
    if args.report:
        results = json.loads(args.report.read_text())
        results.update(summary.summarize(results["runs"], results["workloads"],
                                         results["frameworks"]))  # with today's targets
        markdown = "# layerkit benchmarks\n\n" + report.render(results)
    else:
        divisor = args.divisor or (QUICK_DIVISOR if args.quick else 1)
        if divisor == 1 and args.repeats < 3:
            print("note: the report's medians need --repeats 3 or more to mean much",
                  file=sys.stderr)
        results = runner.run_suite(args.workloads, args.frameworks, args.repeats, divisor,
                                   args.timeout, args.dtypes)
        markdown = report.write_results(results, args.output)
        print(f"wrote {args.output / 'latest.json'} and {args.output / 'latest.md'}",
              file=sys.stderr)
    if args.update_docs:
        report.update_docs(results)
    print(markdown)
    return results


if __name__ == "__main__":
    main()
