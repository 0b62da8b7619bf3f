"""Staff pay (工薪管理): the monthly payslip, income tax, social insurance, the payroll run, one module a seam.

Pure rules: figures in, figures out, every line naming what went into it so anyone can check it by
hand. No AWS, no clock, no environment: "which month is it" and "which rules were in force" are
arguments. Money is integer fen (分), never a float; rates and scores are ``Decimal``.

- ``lines``: a payslip line, the rounding (to the fen once, half up), the checks of months, money, fractions;
- ``tax``: individual income tax by cumulative withholding (累计预扣法);
- ``contributions``: the employee's social insurance and housing fund (三险一金);
- ``rules``: a department's pay rules (PayRules), their versions, the grade scores in force (grade_scores_in);
- ``earnings``: post salary, performance pay, piece rates, the bonus pool split, named bonuses, attendance;
- ``payslip``: one person's month, line by line (compute_payslip), and the masked bank account;
- ``run_state``: the payroll run's states and transitions, and four eyes.

The daily grades of support staff (A/B/C/D, the monthly score, the talk) are houqin.domain.worklogs;
repair ticket classes, which piece rates are set for, houqin.domain.repair_classes.

A payslip, line by line::

    post salary (按岗定薪)              the post's monthly salary
  + performance pay (绩效工资)          support staff only: performance base x monthly score / 100
  + piece-rate pay (计件工资)           each completed and confirmed repair ticket at its class rate, once
  + bonus pool share (奖金池)           the unit's month income x pool share, split by points
  + named bonuses (奖励)                post, suggestion, special contribution, saving, entered by finance
  - attendance deductions (考勤扣款)    late, early leave, absent days
  = gross (应发)
  - employee social insurance and housing fund (三险一金), on the clamped base
  - individual income tax (个人所得税), cumulative withholding (累计预扣法)
  = net (实发)
"""
