"""Reporting: metrics, evaluation, explanations, and the report and model-card files."""
