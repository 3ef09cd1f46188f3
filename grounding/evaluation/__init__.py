"""Evaluation: data set readers, metrics and reports."""
