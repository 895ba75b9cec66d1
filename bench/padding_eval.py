"""Evaluate padding and missing-value advice (duban.quality.padding) on the hand-written reports.

bench/quality/padding/reports.json holds progress reports written by hand, each labelled `padded` (true: the
text is mostly slogans and stock phrases with few concrete facts) and, where the task has quantitative
targets, `expects_values`, `values_given` (true, false, or null: not known, judged from the text) and the
`missing_values` a reviewer would expect. Its README tells how the set was written and split.

Padding advice is either flag, `padded` (stock phrases and few facts) or `few_facts` (long, few facts, not
many stock phrases): both tell the reviewer the same thing, that the text says little that can be checked.

Prints BENCH lines — over the whole set, then per split (dev: the thresholds were chosen on it; holdout-1
and holdout-2: written afterwards) — and the time `assess` takes per report. `--verbose` prints every miss;
`--scatter` prints every report's figures (characters, stock share, facts per 100 characters, flags).
"""

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from duban.quality.padding import assess  # noqa: E402

SET = HERE / "quality" / "padding" / "reports.json"
GOAL = 0.9
TIME_LIMIT_US = 1000  # a review page lists a task's reports; a millisecond each keeps a page of 50 unnoticed


class Score:
    def __init__(self):
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, truth: bool, said: bool) -> None:
        if truth and said:
            self.tp += 1
        elif said:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def judge(report: dict):
    return assess(report["text"], expects_values=report.get("expects_values", False),
                  values_given=report.get("values_given", False))


def bench_line(name: str, value: float) -> str:
    return f"BENCH {name} {value:.3f} ratio limit={GOAL:.3f} ratio={value / GOAL:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every miss with its figures")
    parser.add_argument("--scatter", action="store_true", help="print every report's figures")
    args = parser.parse_args(argv)

    reports = json.loads(SET.read_text(encoding="utf-8"))
    splits = sorted({r["split"] for r in reports}, key=lambda s: (s != "dev", s))
    padding = {name: Score() for name in ["all", *splits]}
    missing = {name: Score() for name in ["all", *splits]}
    flag_counts: dict[str, int] = {}
    for report in reports:
        result = judge(report)
        said = result.padded
        for name in ("all", report["split"]):
            padding[name].add(report["padded"], said)
        for code in result.codes:
            flag_counts[code] = flag_counts.get(code, 0) + 1
        misses = ["padding"] if said != report["padded"] else []
        if report.get("expects_values"):
            said_missing = "missing_values" in result.codes
            for name in ("all", report["split"]):
                missing[name].add(report["missing_values"], said_missing)
            misses += ["values"] if said_missing != report["missing_values"] else []
        missed = bool(misses)
        if args.scatter or (args.verbose and missed):
            mark = f"MISS {'+'.join(misses):14}" if missed else " " * 19
            print(f"{mark} {report['id']:6} {report['split']:9} padded={report['padded']!s:5} chars={result.chars:3} "
                  f"stock={result.stock_share:.2f} facts/100={result.fact_density:4.1f} "
                  f"flags={','.join(result.codes) or '-'}")
            if missed and args.verbose:
                print("      facts:", " ".join(f"{f.kind}:{f.text}" for f in result.facts) or "-")
                print("      stock:", " ".join(s.phrase for s in result.stock) or "-")

    print(f"BENCH padding_reports {len(reports)} reports")
    print(f"# {sum(r['padded'] for r in reports)} padded, {sum(not r['padded'] for r in reports)} not; "
          f"flags raised: {', '.join(f'{k} {v}' for k, v in sorted(flag_counts.items()))}")
    print(bench_line("padding_precision", padding["all"].precision()))
    print(bench_line("padding_recall", padding["all"].recall()))
    for name in splits:
        s = padding[name]
        print(f"BENCH padding_precision_{name.replace('-', '_')} {s.precision():.3f} ratio")
        print(f"BENCH padding_recall_{name.replace('-', '_')} {s.recall():.3f} ratio")
    labelled = missing["all"]
    print(f"BENCH missing_values_reports {labelled.tp + labelled.fp + labelled.fn + labelled.tn} reports")
    print(bench_line("missing_values_precision", labelled.precision()))
    print(bench_line("missing_values_recall", labelled.recall()))

    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for report in reports:
            judge(report)
    per_report = (time.perf_counter() - started) / (rounds * len(reports)) * 1e6
    longest = max(reports, key=lambda r: len(r["text"]))
    started = time.perf_counter()
    for _ in range(rounds * 10):
        judge(longest)
    per_long = (time.perf_counter() - started) / (rounds * 10) * 1e6
    print(f"BENCH padding_assess_time {per_report:.0f} us/report limit={TIME_LIMIT_US} "
          f"ratio={per_report / TIME_LIMIT_US:.2f}")
    print(f"BENCH padding_assess_time_longest {per_long:.0f} us/report limit={TIME_LIMIT_US} "
          f"ratio={per_long / TIME_LIMIT_US:.2f}")
    print(f"BENCH padding_longest_report {len(longest['text'])} chars")
    return 0


if __name__ == "__main__":
    sys.exit(main())
