"""Behaviour scenarios: the regulation, clause by clause, checked against the diagrams that run.

`features/*.feature` (Simplified Chinese) are bound by the step library in `steps.py`, whose
patterns use the closed vocabularies of `glossary.py` and the normalisation of `normalize.py`.
Steps act through a `Driver` (`driver.py`): in-process on the services (`engine_driver.py`), or
over the HTTP API. `plugin.py` is the pytest plugin (`-p server.scenarios.plugin`), `suite.py`
the module a runner collects, `lint.py` the check for undefined and ambiguous steps.
"""
