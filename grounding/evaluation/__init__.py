"""Evaluation: labelled data in, metrics and self-contained reports out.

One job per module: `data` (reading rows, line-numbered errors), `metrics` (numpy metrics
that agree with scikit-learn), `runner` (scorers over rows, predictions.jsonl, resume),
`summary` (metrics.json), `plots`, `html_report`, `markdown_report`, `compare` (paired
bootstrap on F1), `pipeline_eval` (whole questions through the Grounder) and
`pipeline_metrics` (its metrics.json).
"""

from grounding.evaluation.compare import compare_runs
from grounding.evaluation.data import read_questions, read_rows
from grounding.evaluation.evaluate import EvalResult, evaluate
from grounding.evaluation.pipeline_eval import evaluate_pipeline

__all__ = [
    "EvalResult",
    "compare_runs",
    "evaluate",
    "evaluate_pipeline",
    "read_questions",
    "read_rows",
]
