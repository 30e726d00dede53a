"""Every scenario of features/, in-process on the services (what `suite.py` does for a runner)."""
from pytest_bdd import scenarios

from server.scenarios.plugin import features_dir

scenarios(str(features_dir()))
