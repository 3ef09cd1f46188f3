"""Model back ends below the three stages: the packaged pair model (entailment, answerability)."""
