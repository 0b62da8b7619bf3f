"""How long a browser test waits for a page's first answer (one place for every test).

A page's first load lists the buildings (their counts are on the building items) and often draws a room-status
map (a building's 480 beds): quick alone, far slower while the other test worker's local cloud loads its demo data
on the same 2 cores. Later expectations use Playwright's 15 s set in conftest.
"""

FIRST_LOAD = 45_000  # ms
