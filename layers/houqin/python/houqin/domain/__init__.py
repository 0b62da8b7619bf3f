"""Pure business rules: plain data in, decisions out.

No boto3, no PynamoDB, no clock or environment reads here, so every rule is unit-tested
without AWS. The workflow issues (tickets, swipes, alarms, payroll) add their modules.
"""
