"""Demo repair tickets: a month of realistic work, built with the real domain rules.

Every ticket is replayed through ``houqin.domain.tickets`` (intake, routing, accept, hold,
complete with fees, rating or rework, auto-confirm, close) at moments spread over the last
30 days before ``now``, then written with batch writes. The random seed is fixed, so the
spread is the same on every start; only the dates follow the calendar.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from houqin.clock import CAMPUS_TZ, local
from houqin.domain import tickets as rules
from houqin.domain.actors import Actor, Role
from houqin.domain.tickets import Event, FeeLine, SlaRule, Ticket

SEED = 3
DAYS = 30
TICKETS_PER_DAY = (8, 18)
# (category, team code, weight, typical jobs: (description, labour, material code, material, price in fen))
CATEGORIES = [
    ("water", "WATER", 30, [("卫生间水龙头漏水", "M-FAUCET", "水龙头", 3550), ("洗手池下水堵塞", None, None, 0),
                            ("冲水阀失灵", "M-VALVE", "冲水阀", 4200)]),
    ("electric", "ELEC", 25, [("宿舍照明灯不亮", "M-LAMP", "LED灯管", 1800), ("插座没电", "M-SOCKET", "插座", 1250),
                              ("空气开关频繁跳闸", "M-BREAKER", "空气开关", 3900)]),
    ("doors_locks", "DOOR", 15, [("门锁损坏打不开", "M-LOCK", "门锁", 6500), ("窗户关不严", None, None, 0)]),
    ("carpentry", "CARP", 12, [("床板断裂", "M-BOARD", "床板", 8000), ("衣柜门脱落", "M-HINGE", "合页", 600)]),
    ("hvac", "HVAC", 10, [("暖气不热", None, None, 0), ("暖气片漏水", "M-GASKET", "密封垫", 300)]),
    ("masonry", "MASON", 8, [("卫生间地砖破损", "M-TILE", "地砖", 1500), ("墙皮脱落", "M-PUTTY", "腻子粉", 2500)]),
]
PUBLIC_PLACES = ["一食堂", "二食堂", "第一教学楼", "图书馆", "体育馆", "浴池"]
WORKERS_PER_TEAM = 8


def routing_rules(teams: list[dict[str, Any]]) -> dict[str, str]:
    """One rule per trade and campus: category.campus -> that campus's team of the trade."""
    codes = {code: category for category, code, _, _ in CATEGORIES}
    return {rules.route_key(codes[t["team_id"].split("-", 1)[1]], t["campus_id"]): t["team_id"] for t in teams}


def generate(data: Any, now: datetime) -> Iterator[tuple[Ticket, list[Event]]]:
    rng = random.Random(SEED)
    routing = routing_rules(data.teams)
    workers: dict[str, list[str]] = {}
    for member in data.staff:
        if member["team_id"]:
            workers.setdefault(member["team_id"], []).append(member["staff_id"])
    residents = data.residents[:400]
    staff = [s for s in data.staff if not s["team_id"]][:50]
    dispatcher = next(u.person_id for u in data.users if u.role == "dispatcher")
    weights = [c[2] for c in CATEGORIES]
    number = 0
    for days_ago in range(DAYS, -1, -1):
        day = local(now, CAMPUS_TZ).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
        for _ in range(rng.randint(*TICKETS_PER_DAY)):
            at = day + timedelta(minutes=rng.randint(7 * 60, 22 * 60))
            if at >= now - timedelta(minutes=10):
                continue
            number += 1
            category, _, _, jobs = rng.choices(CATEGORIES, weights)[0]
            job = rng.choice(jobs)
            yield _replay(rng, number, at, now, category, job, routing, workers, residents, staff, dispatcher)


def _replay(rng: random.Random, number: int, at: datetime, now: datetime, category: str, job: tuple[Any, ...],
            routing: dict[str, str], workers: dict[str, list[str]], residents: list[dict[str, Any]],
            staff: list[dict[str, Any]], dispatcher: str) -> tuple[Ticket, list[Event]]:
    description, material_code, material, price = job
    phone = rng.random() < 0.2
    if rng.random() < 0.85:
        requester = residents[number % len(residents)] if number % 7 else residents[number % 2]  # demo users too
        place = {"campus_id": requester["campus_id"], "building_id": requester["building_id"],
                 "room_no": requester["room_no"], "place": None}
        requester_id = requester["resident_id"]
    else:
        requester_id = rng.choice(staff)["staff_id"]
        place = {"campus_id": rng.choice(["SB", "JN"]), "building_id": None, "room_no": None,
                 "place": rng.choice(PUBLIC_PLACES)}
    severity = "major" if rng.random() < 0.25 else "minor"
    actor = Actor(dispatcher, frozenset({Role.DISPATCHER})) if phone else Actor(requester_id)
    team_id = rules.choose_team(routing, category, place["campus_id"], place["building_id"])
    ticket, events = rules.open_ticket(
        ticket_id=f"R{at:%y%m%d}-{rng.getrandbits(32):08X}", actor=actor, at=at, tz=CAMPUS_TZ,
        rule=SlaRule(category), team_id=team_id, channel="phone" if phone else "web", requester_id=requester_id,
        category=category, severity=severity, description=description, contact_phone=None,
        caller_name="电话报修" if phone else None, **place)
    worker_id = rng.choice(workers[team_id][:WORKERS_PER_TEAM])
    worker = Actor(worker_id, frozenset({Role.WORKER}), team_id=team_id)
    requester_actor = actor if phone else Actor(requester_id)
    minutes = (rng.randint(5, 35) if severity == "minor" else rng.randint(60, 360))
    steps: list[tuple[datetime, Any]] = []
    moment = at + timedelta(minutes=rng.randint(2, 12))
    steps.append((moment, lambda t, m: rules.apply(t, "accept", worker, m)))
    if rng.random() < 0.03:
        steps.append((moment + timedelta(minutes=1), lambda t, m: rules.apply(t, "cancel", requester_actor, m)))
    else:
        moment += timedelta(minutes=rng.randint(2, 8))
        steps.append((moment, lambda t, m: rules.apply(t, "start", worker, m)))
        if rng.random() < 0.08:
            moment += timedelta(minutes=10)
            steps.append((moment, lambda t, m: rules.apply(t, "hold", worker, m, reason="等配件")))
            moment += timedelta(minutes=rng.randint(30, 240))
            steps.append((moment, lambda t, m: rules.apply(t, "resume", worker, m)))
        if rng.random() < 0.04:
            steps.append((moment + timedelta(minutes=20),
                          lambda t, m: rules.apply(t, "cannot_do", worker, m, reason="需整体更换,报维修中心")))
        else:
            moment += timedelta(minutes=minutes)
            lines = [FeeLine("labour", "L-BASE", "上门维修", Decimal(1), 1000)]
            if material_code:
                lines.append(FeeLine("material", material_code, material, Decimal(1), price, rng.random() < 0.15))
            steps.append((moment, lambda t, m: rules.apply(t, "complete", worker, m, lines=lines)))
            moment += timedelta(hours=rng.randint(1, 30))
            roll = rng.random()
            if roll < 0.04:  # unsatisfactory: rework, done again, then rated well
                bad = {"attitude": 4, "speed": 3, "quality": 2, "price": 4}
                steps.append((moment, lambda t, m: rules.rate(t, requester_actor, m, bad, "还是坏的")))
                moment += timedelta(hours=2)
                steps.append((moment, lambda t, m: rules.apply(t, "complete", worker, m)))
                moment += timedelta(hours=3)
                steps.append((moment, lambda t, m: rules.rate(t, requester_actor, m, _good(rng), None)))
            elif roll < 0.70:
                steps.append((moment, lambda t, m: rules.rate(t, requester_actor, m, _good(rng), _comment(rng))))
            else:  # never rated: the hourly check confirms it after three days
                steps.append((moment + timedelta(days=3, minutes=5),
                              lambda t, m: rules.apply(t, "auto_confirm", rules.SYSTEM, m)))
    if ticket.state != rules.State.DISPATCHED:  # phone tickets without a rule wait on the desk
        steps = []
    elif at > now - timedelta(hours=30):  # today's work is still under way: stop at a random step
        steps = steps[:rng.randint(0, len(steps))]
    elif rng.random() < 0.5:  # the desk closes older finished work (confirmed, or could not be done)
        desk = Actor(dispatcher, frozenset({Role.DISPATCHER}))
        steps.append((moment + timedelta(days=rng.randint(3, 6)),
                      lambda t, m: rules.apply(t, "close", desk, m, reason="已结单归档")
                      if t.state in rules.TRANSITIONS["close"][0] else None))
    for moment, step in steps:
        if moment >= now:
            break
        if changed := step(ticket, moment):
            ticket, event = changed
            events.append(event)
    return ticket, events


def _good(rng: random.Random) -> dict[str, int]:
    return {d: rng.choices([3, 4, 5], [5, 30, 65])[0] for d in rules.RATING_DIMENSIONS}


def _comment(rng: random.Random) -> str | None:
    return rng.choice([None, None, "师傅很负责", "来得很快", "修得很好,谢谢", "收费合理"])


def load(data: Any, now: datetime) -> dict[str, int]:
    """Write the routing rules and the demo tickets (imports the store: see demo.load)."""
    from houqin.clock import to_iso
    from houqin.store import tickets as store

    with store.RoutingRule.batch_write() as writer:
        for rule_id, team_id in routing_rules(data.teams).items():
            writer.save(store.RoutingRule.make(rule_id, team_id, "demo", to_iso(now)))
    return {"routing rules": len(data.teams), "tickets": store.batch_put(generate(data, now))}
