"""Staff pay (工薪): posts and candidates, pay rules, income and named bonuses, payroll runs with approval,
payslips, the payroll report and the bank transfer list (functions/payroll/app.py is the HTTP glue; the
computation is run by the PayrollWorkerFunction, functions/payroll_worker/app.py; the rules are
houqin.domain.payroll; the items houqin.store.payroll).

One class, ``Payroll``, holds every use case; its ports (houqin.ports) come as keyword arguments with
production defaults (houqin.services.payroll.base). Its methods live with their seam:
- ``archive``: departments, posts and candidates, a staff member's profile;
- ``inputs``: a unit's income, named bonuses, pay rules (versioned);
- ``runs``: starting a run, recompute / submit / approve (four eyes, locks) / reject;
- ``reports``: payslips, the payroll report, the bank transfer list;
- ``compute``: the worker's computation of a run, and its failure records.

Who does what:
- finance: enters income, bonuses and rules; creates, recomputes and submits runs;
- leader: approves or rejects a submitted run (a rejection gives its reason); reads everything;
- admin: reads everything; manager: sees their team's profiles (attendance is another function);
- anyone: their own profile and their own payslips, of approved runs only.
Finance, leaders and admins read runs, reports and payslips. A person's profile or payslips the caller
may not see are a 404, as if they did not exist; a role that may not do what is asked gets a 403.

Decisions:
- run id: ``PR-<month>-<10 hex of sha256 of the sorted department ids>``, so the same trigger sent twice
  names the same run: it is created by a put conditional on the id being free. The first POST answers
  202 with the run; a repeat answers 200 with the run as it is now (and, while it is still queued, sends
  the worker its event again: a lost invocation heals, a duplicate one is ignored by the worker);
- a run is refused with 409 when the month is approved (locked) for any requested department; its
  departments need rules in force in the month, and income for the month when the rules share a bonus
  pool (400 naming ``departments``);
- approval writes the run and one lock item per department in one transaction; a lock that exists
  already (another run of the month was approved first) cancels it: 409 naming the department;
- income and bonuses of a locked month, and rule versions effective in or before a locked month, are
  refused (409): what an approved run was computed from does not change after the fact;
- reports, payslips and the bank transfer list are read from the run's current generation, and only
  when it is computed (draft, submitted, approved, rejected); the bank transfer list only when approved.
  Bank accounts are only ever shown masked (mask_account); payslips carry the masked account only;
- money is integer fen everywhere, in reports too (Excel sums the numbers; the headers say fen).

The benchmark calls ``Payroll().compute`` for the worker's part.
"""

from __future__ import annotations

from houqin.services.payroll.archive import Archive
from houqin.services.payroll.compute import Compute
from houqin.services.payroll.inputs import Inputs
from houqin.services.payroll.reports import Reports
from houqin.services.payroll.runs import Runs

__all__ = ["Payroll"]


class Payroll(Archive, Inputs, Runs, Reports, Compute):
    """The payroll use cases (every seam's methods), on the ports given to the constructor
    (houqin.services.payroll.base.PayrollPorts): ``payroll``, ``staff``, ``attendance`` and ``tickets``
    repositories, a ``clock``, the worker's ``invoker`` (and ``worker_function``), and ``pause``."""
