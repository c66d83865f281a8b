"""One benchmark of the whole partnership: `make bench`.

It builds a partnership's casebook at two sizes (SMALL, 1,000 cases, and LARGE, the
size a county partnership reaches over eight years), once per size and backend, caches
it, and times every main page and write path through the Flask test client against the
budgets of DESIGN.md section 6. See docs/performance.md, "The partnership benchmark".

Run from the repository root:

    .venv/bin/python -m tests.benchmarks.partnership [--size small|large|both]
        [--backend sqlite|postgresql|both] [--pages PATTERN] [--rebuild] [--json FILE]

Not collected by pytest (no ``test_`` modules): a tool, not a test.
"""
