"""The demo county: deterministic synthetic ledgers, shaped the way schools send them.

``write_demo(repo_root)`` writes the ledgers and ``params/demo.yaml``;
``generate_demo()`` builds the same ledgers in memory. The modules, in the order
they build on one another:

- ``plan``: scales, dates and constants, the townships, villages and schools;
- ``people``: children, IDs and the registers (roster, household, poverty, disability);
- ``scenarios``: absences, early-warning signs, cases, home teaching, subsidies, enrolment;
- ``generate``: ``generate_demo``, every table in one seeded pass;
- ``write``: the files, shaped as schools send them, and the params file (``write_demo``).
"""

from kcbx.demo.generate import generate_demo
from kcbx.demo.plan import (
    DEFAULT_SEED,
    DEMO_AS_OF,
    SCALES,
    DemoCounty,
    DemoScale,
    DemoSchool,
    DemoTownship,
    school_days,
)
from kcbx.demo.scenarios import ESCALATION_RUNS, SCENARIOS
from kcbx.demo.write import _params_text as _params_text  # the params file's text, read by the tests
from kcbx.demo.write import write_demo

__all__ = [
    "DEMO_AS_OF",
    "DEFAULT_SEED",
    "ESCALATION_RUNS",
    "SCALES",
    "SCENARIOS",
    "DemoScale",
    "DemoSchool",
    "DemoTownship",
    "DemoCounty",
    "generate_demo",
    "write_demo",
    "school_days",
]
