"""`init`: migrate, seed reference data, deploy the procedure on disk. Safe to run again."""
from ..store.db import upgrade
from .clock import ensure_settings
from .context import SYSTEM, unit_of_work
from .seed import seed_organisations
from .versions import deploy_version, read_source_tree


def init_database(services, source_root, fake_start=None):
    upgrade(services.engine)
    with unit_of_work(services) as uow:
        ensure_settings(uow, fake_start)
        seed_organisations(uow)
    with unit_of_work(services) as uow:
        return deploy_version(uow, SYSTEM, read_source_tree(source_root), note="初始部署")
