"""formex's eval harness: the labelled eval set, the FORMAT.md scorer and the reports.

Typed cases (:class:`eval.dataset.EvalCase`), one small evaluator per metric
(:mod:`eval.evaluators`), and a runner that scores any backend
(:func:`eval.runner.run_eval`).
"""
