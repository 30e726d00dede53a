"""The behaviour scenarios run in `make test` with the scenario plugin.

`pytest_plugins` is only honoured in the top-level conftest, so the plugin is registered here
when pytest loads this directory (its options then take their defaults: the project's own
processes/, forms/ and features/, the in-process driver).
"""
from server.scenarios import plugin as scenario_plugin


def pytest_configure(config):
    if not config.pluginmanager.is_registered(scenario_plugin):
        config.pluginmanager.register(scenario_plugin, "server.scenarios.plugin")
