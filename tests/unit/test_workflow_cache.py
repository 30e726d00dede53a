"""The workflow cache keeps at most WORKFLOW_CACHE_SIZE workflows per process, whatever the
number of instances: memory is bounded by the setting (bench/memory.py measures it)."""
from server import create_app
from server.config import from_environment
from server.services.workflow_cache import WorkflowCache


def test_the_cache_keeps_the_most_recently_used_up_to_its_capacity():
    cache = WorkflowCache(capacity=3)
    for n in range(10):
        cache.put(f"instance-{n}", 1, f"workflow-{n}")
    cache.put("instance-7", 2, "workflow-7 at revision 2")          # used again: kept longest
    cache.put("instance-10", 1, "workflow-10")
    assert cache.take("instance-6", 1) is None                       # the oldest left first
    assert cache.take("instance-7", 1) is None                       # a stale revision is dropped
    assert cache.take("instance-8", 1) is None                       # pushed out by instance-10
    assert cache.take("instance-9", 1) == "workflow-9"
    assert cache.take("instance-10", 1) == "workflow-10"


def test_the_capacity_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("XUNCHA_WORKFLOW_CACHE_SIZE", "64")
    assert from_environment()["WORKFLOW_CACHE_SIZE"] == 64
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "t",
                      "WORKFLOW_CACHE_SIZE": 64})
    assert app.extensions["xuncha"].workflows.capacity == 64
    default = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'y.sqlite'}", "SECRET_KEY": "t"})
    assert default.extensions["xuncha"].workflows.capacity == 512
