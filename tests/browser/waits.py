"""How long a browser test waits for a page's first answer (one place for every test).

A page's first load lists the buildings, and ``GET /buildings`` counts every bed of each (15 demo
buildings, 7,200 beds): a few seconds alone, far more while the other test worker's local cloud loads its
demo data on the same 2 cores. Later expectations use Playwright's 15 s set in conftest.
"""

FIRST_LOAD = 45_000  # ms
