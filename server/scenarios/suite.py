"""The scenarios as pytest collects them. A runner calls, for example:

    pytest.main([".../server/scenarios/suite.py", "-p", "server.scenarios.plugin",
                 "--xuncha-source", draft_dir, "--cucumberjson", "out/cucumber.json",
                 "--xuncha-coverage", "out/coverage.json", "-q"])

The features come from `--xuncha-features` (default: the project's features/).
"""
from pytest_bdd import scenarios

from server.scenarios.plugin import features_dir

scenarios(str(features_dir()))
