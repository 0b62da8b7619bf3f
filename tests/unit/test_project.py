"""Project invariants: packaging, and the store's models agree with template.yaml."""

from __future__ import annotations

import importlib
import pkgutil
import tomllib
from collections import Counter, defaultdict

from pynamodb.models import Model

import houqin.store
from localcloud import demo
from tests.conftest import ROOT


def test_runtime_dependencies_equal_the_deps_layer():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [line.strip() for line in (ROOT / "layers/deps/requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert sorted(project) == sorted(layer)


def table_bases() -> dict[str, type[Model]]:
    """Every store module's table base class (a direct PynamoDB Model subclass), by table name."""
    for module in pkgutil.iter_modules(houqin.store.__path__):
        importlib.import_module(f"houqin.store.{module.name}")
    return {base.Meta.table_name: base for base in Model.__subclasses__() if base.__module__.startswith("houqin.")}


def projection_of(projection: dict) -> tuple[str, set[str]]:
    return projection["ProjectionType"], set(projection.get("NonKeyAttributes", ()))


def test_models_match_their_tables_in_the_template(template):
    bases = table_bases()
    tables = template.of_type("AWS::DynamoDB::Table")
    assert {template.physical_name(t) for t in tables} == set(bases), "a table without models, or models without one"
    for table_logical in tables:
        base = bases[template.physical_name(table_logical)]
        props = template.props(table_logical)
        assert base.Meta.table_name == template.physical_name(table_logical)
        keys = {k["KeyType"]: k["AttributeName"] for k in props["KeySchema"]}
        assert (base._hash_keyname, base._range_keyname) == (keys["HASH"], keys["RANGE"])
        declared = {i["IndexName"]: {k["KeyType"]: k["AttributeName"] for k in i["KeySchema"]}
                    for i in props.get("GlobalSecondaryIndexes", [])}
        projected = {i["IndexName"]: projection_of(i["Projection"]) for i in props.get("GlobalSecondaryIndexes", [])}
        for model in base.__subclasses__():
            for index in model._indexes.values():
                name = index.Meta.index_name
                assert name in declared, f"{model.__name__} uses {name}, not in {table_logical}"
                hash_key = next(a.attr_name for a in index.Meta.attributes.values() if a.is_hash_key)
                assert hash_key == declared[name]["HASH"]
                projection = index.Meta.projection  # what a Query of it may read: the template's, exactly
                assert (projection.projection_type, set(projection.non_key_attributes or ())) == projected[name], \
                    f"{model.__name__}'s {name} projects otherwise than template.yaml"


def test_demo_data_follows_the_seed_numbers():
    data = demo.generate()
    counts = Counter((r["category"], r["campus_id"]) for r in data.residents)
    assert len(data.residents) == 6450
    assert counts[("本科", "SB")] == 3626 and counts[("本科", "JN")] == 1786
    assert sum(n for (category, _), n in counts.items() if category == "本科") == 5412
    assert counts[("专升本", "JN")] == 581 and counts[("研究生", "SB")] == 398
    assert counts[("成教", "JN")] == 22 and counts[("教工", "SB")] == 37
    assert len(data.staff) == 1700 and len(data.departments) == 11
    assert {t["trade"] for t in data.teams} == {"水", "电", "木工", "泥瓦", "暖通", "门窗锁具"}
    assert all(b["campus_id"] in ("SB", "JN") for b in data.buildings)
    assert "松北九公寓" in {b["name"] for b in data.buildings}
    assert {r["building_id"] for r in data.readers} == {b["building_id"] for b in data.buildings}


def test_demo_beds_never_mix_genders_and_hold_one_resident_each():
    data = demo.generate()
    beds = [(r["building_id"], r["room_no"], r["bed_no"]) for r in data.residents]
    assert len(set(beds)) == len(beds)
    room_gender = {(r["building_id"], r["room_no"]): r["gender"] for r in data.rooms}
    genders = defaultdict(set)
    for resident in data.residents:
        genders[(resident["building_id"], resident["room_no"])].add(resident["gender"])
        assert room_gender[(resident["building_id"], resident["room_no"])] == resident["gender"]
        assert resident["building_id"].startswith(resident["campus_id"])
    assert all(len(g) == 1 for g in genders.values())
    occupied = sum(1 for b in data.beds if b["resident_id"])
    assert occupied == 6450 and len(data.beds) > occupied  # some free beds remain


def test_demo_data_is_deterministic_and_has_a_user_for_every_role():
    first, second = demo.generate(), demo.generate()
    assert first.residents[:50] == second.residents[:50]
    from houqin.auth import Role

    assert {u.role for u in first.users} == {r.value for r in Role} - {"device"}  # terminals are not people
    team = {u.person_id for u in first.users if u.role == "staff" and u.note != "质量监督员"}
    manager, second_manager = (u.person_id for u in first.users if u.role == "manager")
    assert team and all(s["manager_id"] == manager and s["support_staff"] for s in first.staff if s["staff_id"] in team)
    assert any(s["manager_id"] == second_manager and s["support_staff"] for s in first.staff)
    parents = [u for u in first.users if u.role == "parent"]
    assert all(u.child_ids and u.child_ids[0] in {r["resident_id"] for r in first.residents} for u in parents)


def test_every_houqin_package_is_packaged():
    import houqin

    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"houqin"} | {f"houqin.{m.name}" for m in pkgutil.iter_modules(houqin.__path__) if m.ispkg}
    assert found <= declared


def test_handlers_are_glue_over_the_services_never_the_store():
    """functions/ -> services -> store -> domain (import-linter checks the package; the handlers are not a
    package, so this checks them): a handler parses, calls a service and answers."""
    import ast

    reaching = {}
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        for node in ast.walk(ast.parse(app.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name == "houqin.store" or name.startswith(("houqin.store.", "boto3", "pynamodb")):
                    reaching.setdefault(app.parent.name, []).append(name)
    assert reaching == {}
