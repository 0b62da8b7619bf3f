"""Repair ticket classes: a ticket's severity is its class, which repair work is judged and paid by (the
tickets' rules, payroll's piece rates). Pure data: both contexts import it from here."""

SEVERITIES = ("minor", "major")
