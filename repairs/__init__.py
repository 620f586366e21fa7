"""Repair projects: budgets by funding source, expenditures with evidence, acceptance (修缮)."""
