"""schemathesis against /api/openapi.json of the real app with a world of data (conftest.py):
for an anonymous client, the office and a target liaison, every operation gets generated
requests (valid and invalid by the document, with random and with real ids), and every answer
must be no 5xx, a status code and content type the document declares, and a body that fits
the declared schema. Examples are bounded so the module runs in well under three minutes."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from server.services import scenario_work, users
from server.services.context import unit_of_work

pytestmark = pytest.mark.db
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 15
# Operations that change the world for the clients after them (anonymous runs first).
CLIENTS = ["anonymous", "target_shanxian", "office"]


@pytest.fixture(scope="module", autouse=True)
def no_scenario_runs():
    """The office may start scenario runs: generated requests get the queue-full answer (409)
    instead of starting whole suites in the background."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scenario_work, "MAX_WAITING", 0)
        yield


@pytest.fixture(scope="module")
def schema(world):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", world.app)


@pytest.fixture(scope="module")
def tokens(world):
    with unit_of_work(world.services) as uow:
        return {name: users.issue_api_token(uow, name) for name in CLIENTS if name != "anonymous"}


def real_ids(world):
    """Path parameters that name things that exist, so requests get past the 404s."""
    return {"instance_id": list(world.instances.values()), "task_id": list(world.tasks.values()),
            "attachment_id": [world.attachment], "year": [2027]}


def strategy(operation, world):
    names = [p.name for p in operation.path_parameters]
    known = real_ids(world)
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if names and all(n in known for n in names):
            strategies += [operation.as_strategy(generation_mode=mode, path_parameters={
                n: known[n][i % len(known[n])] for n in names}) for i in range(3)]
    return st.one_of(strategies)


def exercise(operation, world, headers):
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy(operation, world))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("client", CLIENTS)
def test_generated_requests_get_documented_answers_and_no_server_error(world, schema, tokens,
                                                                       client):
    headers = {"Authorization": f"Bearer {tokens[client]}"} if client in tokens else {}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            exercise(operation, world, headers)
        except (Exception, BaseExceptionGroup) as exc:    # collected: one run reports them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
