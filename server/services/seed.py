"""Reference data every installation has: organisations and the shared settings row."""
from sqlalchemy import insert, select

from ..store import schema

ORGANISATIONS = [
    ("mudan", "牡丹区", "county"), ("dingtao", "定陶区", "county"), ("caoxian", "曹县", "county"),
    ("shanxian", "单县", "county"), ("chengwu", "成武县", "county"), ("juye", "巨野县", "county"),
    ("yuncheng", "郓城县", "county"), ("juancheng", "鄄城县", "county"),
    ("dongming", "东明县", "county"), ("yingji", "市应急管理局", "department"),
    ("zhujian", "市住房城乡建设局", "department"), ("jiaotong", "市交通运输局", "department"),
]


# R1.2: municipal departments with safety supervision duties are inspection targets.
SUPERVISION_DUTY = {"yingji", "zhujian", "jiaotong"}


def seed_organisations(uow):
    o = schema.organisations
    have = set(uow.conn.execute(select(o.c.code)).scalars())
    rows = [{"code": c, "name": n, "kind": k, "has_supervision_duty": c in SUPERVISION_DUTY}
            for c, n, k in ORGANISATIONS if c not in have]
    if rows:
        uow.conn.execute(insert(o), rows)
    return len(rows)
