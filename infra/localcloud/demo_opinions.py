"""Demo opinions (后勤意见): a few posts on the public board and complaints at every step of the desk.

Replayed through ``houqin.domain.opinions`` (initial state, each step's target, what a reply does) by the
demo leader, the first demo dispatcher and the two demo quality monitors (质量监督员, role ``staff``), at
fixed hours before ``now``, then batch written with their audit trails. Kept small:
- an enquiry and a criticism answered, a suggestion still open;
- complaints waiting at intake for a leader to assign (暖气不热 412 室, 二食堂门口积水, 校医院周六);
- one investigating and one with its unit, both the second monitor's; one archived, the first monitor's,
  with the leader's public reply.
So each monitor has complaints of their own and none of the other's, and the first one has nothing open
until a leader assigns one. The ids follow a fixed seed; only the dates follow the calendar.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from houqin.clock import CAMPUS_TZ, local, to_iso
from houqin.domain import opinions as rules

SEED = 17
MONITOR_NOTE = "质量监督员"  # the demo users' note (localcloud.demo._users)


@dataclass(frozen=True)
class Step:
    hours_ago: float
    by: str  # "leader", "dispatcher", "monitor1", "monitor2"
    action: str  # a workflow action or "reply"
    detail: str | None = None  # assign: the monitor ("monitor1"); refer: the department id; fix, reply: the text
    note: str | None = None  # assign, archive: an optional note


@dataclass(frozen=True)
class Post:
    hours_ago: float
    type: str
    text: str
    category: str | None = None
    contact: str | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)


POSTS = [
    Post(150, rules.ENQUIRY, "开水房早上几点开门？周末也一样吗？",
         steps=(Step(148, "dispatcher", "reply", "开水房每天 6:00 开门、22:30 关门，周末相同。"),)),
    Post(120, rules.COMPLAINT, "一食堂收银窗口不收现金，说只能刷校园卡，忘带卡的同学只能饿着。", "refusal",
         "13800005555",
         steps=(Step(118, "leader", "assign", "monitor1", "请核实一食堂的收款规定"),
                Step(100, "monitor1", "refer", "YS"),
                Step(60, "monitor1", "fix", "饮食服务中心已要求各窗口收取现金，并对收银员进行了培训。"),
                Step(50, "leader", "reply", "经核实，一食堂各窗口已恢复收取现金，感谢你的监督。"),
                Step(49, "leader", "archive"))),
    Post(70, rules.COMPLAINT, "江南二公寓4楼楼道灯坏了一个星期，报修后一直没人来。", "delay", "13800006666",
         steps=(Step(66, "leader", "assign", "monitor2", "请尽快核实"),)),
    Post(52, rules.COMPLAINT, "松北六公寓的洗衣机坏了两个星期，问了几次都说在等配件。", "delay",
         steps=(Step(48, "leader", "assign", "monitor2"),
                Step(30, "monitor2", "refer", "WY"))),
    Post(40, rules.SUGGESTION, "建议在图书馆门口多设一些自行车停放架，现在经常停不下。"),
    Post(30, rules.CRITICISM, "二食堂晚上的菜凉得太快，希望改进保温。",
         steps=(Step(26, "leader", "reply", "已请饮食服务中心增加保温台，本周内完成。"),)),
    Post(20, rules.COMPLAINT, "松北三公寓412室暖气不热，报修三天了还没人来修。", "delay", "13800001234"),
    Post(8, rules.COMPLAINT, "二食堂门口积水，食堂说归物业管，物业又说归食堂管，一直没人处理。", "buck_passing",
         "13900002222"),
    Post(2, rules.COMPLAINT, "校医院周六上午不开门，门口也没有告示，白跑一趟。", "other"),
]


def generate(data: Any, now: datetime) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(opinion fields, audit lines) in posting order, from ``localcloud.demo.generate()``'s data."""
    users = {"leader": _first(data, lambda u: u.role == "leader"),
             "dispatcher": _first(data, lambda u: u.role == "dispatcher")}
    monitors = [u for u in data.users if u.note == MONITOR_NOTE]
    users.update(monitor1=monitors[0], monitor2=monitors[1])
    departments = {d["department_id"]: d["name"] for d in data.departments}
    rng = random.Random(SEED)
    for post in POSTS:
        created = now - timedelta(hours=post.hours_ago)
        opinion = {"opinion_id": f"O{local(created, CAMPUS_TZ):%y%m%d}-{rng.getrandbits(32):08X}",
                   "created_at": to_iso(created), "type": post.type, "category": post.category, "text": post.text,
                   "contact": post.contact, "state": rules.initial_state(post.type), "replies": []}
        trail = [{"action": "posted", "to_state": opinion["state"], "at": opinion["created_at"]}]
        for step in post.steps:
            by, at = users[step.by], to_iso(now - timedelta(hours=step.hours_ago))
            previous = opinion["state"]
            line = {"action": step.action, "from_state": previous, "at": at, "by_id": by.person_id,
                    "by_name": by.name}
            if step.action == "reply":
                rules.check_reply(previous, len(opinion["replies"]))
                opinion["replies"].append({"text": step.detail, "by_id": by.person_id, "by_name": by.name, "at": at})
                opinion["state"] = rules.state_after_reply(post.type, previous)
                line["text"] = step.detail
            else:
                opinion["state"] = rules.next_state(post.type, previous, step.action)
                if step.action == "assign":
                    monitor = users[step.detail]
                    opinion.update(monitor_id=monitor.person_id, monitor_name=monitor.name)
                    line.update(monitor_id=monitor.person_id, text=step.note)
                elif step.action == "refer":
                    opinion.update(department_id=step.detail, department_name=departments[step.detail])
                    line["department_id"] = step.detail
                else:
                    line["text"] = step.detail or step.note
            line["to_state"] = opinion["state"]
            opinion["updated_at"] = at
            trail.append(line)
        yield opinion, trail


def load(data: Any, now: datetime) -> int:
    """Write the demo opinions (imports the store: see demo.load); answers how many."""
    from houqin.store import opinions as store

    def items() -> Iterator[tuple[Any, list[Any]]]:
        for fields, trail in generate(data, now):
            opinion_id, created_at = fields.pop("opinion_id"), fields.pop("created_at")
            replies = [store.Reply(**reply) for reply in fields.pop("replies")]
            updated_at = fields.pop("updated_at", created_at)
            opinion = store.Opinion.make(opinion_id, created_at, replies=replies, **fields)
            opinion.updated_at = updated_at
            yield opinion, [store.OpinionLog.make(opinion_id, seq, **line) for seq, line in enumerate(trail, start=1)]

    return store.batch_put(items())


def _first(data: Any, wanted: Any) -> Any:
    return next(u for u in data.users if wanted(u))
