"""`make bench`: build (or reuse) the datasets, time every page and part, print the
table, and exit 1 when anything is over its budget."""

import argparse
import sys
import time
from pathlib import Path

from tests.benchmarks.partnership import concurrency, outbox, throughput  # noqa: F401 (register their parts)
from tests.benchmarks.partnership.cache import cache_for
from tests.benchmarks.partnership.dataset import SIZES
from tests.benchmarks.partnership.measure import (
    PARTS,
    ROUNDS,
    TIMED,
    Row,
    load_average,
    measure_pages,
    selected,
    started_at,
)
from tests.benchmarks.partnership.pages import PAGES
from tests.benchmarks.partnership.report import over_budget, table, write_json
from tests.support.postgres import PostgresUnavailable


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.partnership", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "large", "both"), default="both")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pages", default="", help="only the pages (and parts) whose name contains this (* wildcards)")
    parser.add_argument("--rebuild", action="store_true", help="build the datasets again even if cached")
    parser.add_argument("--build-only", action="store_true", help="build or check the cached datasets, time nothing")
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement of each GET page")
    parser.add_argument(
        "--same-data",
        action="store_true",
        help="time the pages on two copies of SMALL, as SMALL and as LARGE, and no parts: how far a ratio moves "
        "on this machine when nothing can grow",
    )
    parser.add_argument(
        "--slower",
        type=float,
        default=1.0,
        help="with --same-data: make every timed request on the copy standing for LARGE this many times as long "
        "(the CPU spinning), as if the page's work had grown, to see that the verdict catches it",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--requests",
        type=int,
        default=TIMED,
        help="timed requests per page (default %(default)s; fewer for a quick look)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help="times each page is timed; each size keeps its round with the lower p95 (default %(default)s)",
    )
    options = parser.parse_args()
    if options.slower != 1.0 and not options.same_data:
        parser.error("--slower is for --same-data only")
    return options


def run_backend(backend: str, options: argparse.Namespace, context: dict[str, object]) -> list[Row]:
    """Every page at each size in the same window (the sizes in turn, block by block),
    then the parts, size by size."""
    rows: list[Row] = []
    sizes = [
        SIZES[name] for name in (["small", "large"] if options.size == "both" or options.same_data else [options.size])
    ]
    pages = selected(PAGES, options.pages)
    parts = {name: part for name, part in PARTS.items() if not options.pages or options.pages.lower() in name}
    built = [SIZES["small"]] if options.same_data else sizes
    with cache_for(backend) as cache:
        for size in built:
            began = time.perf_counter()
            info = cache.dataset(size, rebuild=options.rebuild)
            print(f"{backend}, {size.name}: dataset ready in {time.perf_counter() - began:.0f} s "
                  f"(built in {info.get('build_seconds')} s on {info.get('built_at')})", flush=True)  # fmt: skip
            context.setdefault("datasets", {})[f"{backend}/{size.name}"] = info  # type: ignore[index]
        if options.build_only:
            return rows
        if options.same_data:
            copies = {size.name: cache.working_copy(SIZES["small"], name=size.name) for size in sizes}
            print(f"{backend}: timing {len(pages)} pages on two copies of SMALL (load average {load_average()})")
        elif pages:
            copies = {size.name: cache.working_copy(size) for size in sizes}
            names = " and ".join(size.name for size in sizes)
            print(f"{backend}, {names}: timing {len(pages)} pages (load average {load_average()})", flush=True)
        if pages:
            rows += measure_pages(
                copies,
                backend,
                sizes,
                options.pages,
                plans=options.explain,
                requests=options.requests,
                rounds=options.rounds,
                slower=options.slower,
            )
        if options.same_data:
            return rows  # no parts: they are judged against targets, not against SMALL
        for size in sizes:
            for part in parts.values():
                rows += part(cache.working_copy(size), size)
    return rows


def main() -> int:
    options = arguments()
    context: dict[str, object] = {
        "started": started_at(),
        "load_average_at_start": load_average(),
        "timed_requests": options.requests,
        "rounds": options.rounds,
    }
    rows: list[Row] = []
    backends = ["sqlite", "postgresql"] if options.backend == "both" else [options.backend]
    for backend in backends:
        try:
            rows += run_backend(backend, options, context)
        except PostgresUnavailable as missing:
            print(f"{backend}: cannot run ({missing})")
            return 2
    context["finished"] = started_at()
    context["load_average_at_end"] = load_average()
    if options.build_only:
        return 0
    print()
    print(f"Started {context['started']} (load {context['load_average_at_start']}), "
          f"finished {context['finished']} (load {context['load_average_at_end']})")  # fmt: skip
    if options.rounds > 1:
        print(f"Each page's figures at each size are from the better of {options.rounds} rounds (by p95).")
    print(table(rows))
    if options.same_data:
        made = f", except that LARGE's requests were made {options.slower} times as long" if options.slower != 1 else ""
        print(
            f"\nBoth columns are copies of SMALL (--same-data){made}: every ratio above is otherwise the machine's noise."
        )
    if options.json:
        write_json(options.json, rows, context)
    over = over_budget(rows)
    if over:
        print(f"\n{len(over)} over budget:")
        for line in over:
            print(f"  {line.backend}: {line.name}: {'; '.join(line.problems())}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
