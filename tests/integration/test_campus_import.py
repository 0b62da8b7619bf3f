"""houqin import: a bad row (listed, nothing written), a duplicate (caught), a good file (written), a re-run (no
duplicates), on in-process moto."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from localcloud import campus_import

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

ROWS = {
    "校区": [["SB", "松北"]],
    "公寓楼": [["SB01", "SB", "松北一公寓", 6]],
    "房间": [["SB01", "101", 1, 4, "男", "本科"], ["SB01", "601", 6, 4, "女", None]],
    "学生住宿": [
        ["S1", "王伟", "男", "本科", "SB", "计算机学院", "软件工程", "2025", "软件工程2501", "2007-03", "江苏",
         "13800000001", None, "C1", "SB01", "101", 1, "P1"],
        ["S2", "李娜", "女", "本科", "SB", "计算机学院", "软件工程", "2025", "软件工程2501", "2007-05", "浙江",
         "13800000002", "班长", "C2", "SB01", "601", 2, "P2"],
        ["S3", "张强", "男", "研究生", "SB", "理学院", "应用数学", "2024", "应用数学2401", "2001-01", "山东",
         "13800000003", None, "C3", None, None, None, None],
    ],
    "读卡器": [["SB01-A", "SB01", "A"]],
    "部门": [["WY", "物业管理中心", None, None]],
    "员工": [["E1", "赵磊", "男", "WY", "维修工", "正式", "13900000001", "6222000011112222333", None, "SB-WATER",
             "worker"],
             ["E2", "孙丽", "女", "WY", "物业管理员", "合同", "13900000002", None, None, None, "manager,staff"]],
    "维修点": [["SB-WATER", "松北水维修点", "水", "SB", "0451-1", "E1"]],
    "年初至今": [["E1", 2026, "100000.00", "10000", "0", None, "2000.50", 10]],
}


def workbook(tmp_path: Path, change=None) -> Path:  # noqa: ANN001 - a callable changing the rows
    path = tmp_path / "campus.xlsx"
    campus_import.write_template(path)
    rows = {sheet: [list(r) for r in rs] for sheet, rs in ROWS.items()}
    if change:
        change(rows)
    book = load_workbook(path)
    for sheet, data in rows.items():
        for row in data:
            book[sheet].append(row)
    book.save(path)
    return path


def run(path: Path) -> tuple[dict | None, list[str]]:
    lines: list[str] = []
    written, _ = campus_import.run(path, NOW, report=lines.append)
    return written, lines


def stored_counts() -> dict[str, int]:
    from houqin.store import dorms, staff

    building = dorms.building("SB01")
    partition = dorms.building_partition("SB01", consistent=True)
    return {"residents": len(dorms.residents(["S1", "S2", "S3"])), "beds": len(partition.beds),
            "occupied": sum(1 for b in partition.beds if b.resident_id),
            "building_occupied": int(building.occupied) if building else -1,
            "staff": len(staff.members(["E1", "E2"])),
            "bed events": sum(len(dorms.bed_history(r, limit=10, cursor=None).items) for r in ("S1", "S2", "S3"))}


def test_the_template_has_every_sheet_with_its_headers(tmp_path):
    path = tmp_path / "t.xlsx"
    campus_import.write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == [s.title for s in campus_import.SHEETS]
    assert [c.value for c in book["房间"][2]][:3] == ["楼号", "房间号", "楼层"]
    book_check, problems = campus_import.check(path)
    assert problems == []


@pytest.mark.usefixtures("aws")
def test_a_bad_row_is_listed_by_sheet_row_and_column_and_nothing_is_written(tmp_path):
    def spoil(rows):
        rows["房间"][0][2] = "一楼"  # not a number
        rows["员工"][1][3] = "XX"  # no such department
        rows["学生住宿"][0][16] = 9  # no bed 9 in a 4-bed room
        rows["学生住宿"][1][4] = "JN"  # no such campus

    written, lines = run(workbook(tmp_path, spoil))
    assert written is None
    assert "房间 第3行 楼层: '一楼' is not a whole number" in lines
    assert "员工 第4行 部门编号: no XX in sheet 部门" in lines
    assert "学生住宿 第3行 床号: room SB01 101 has beds 1 to 4" in lines
    assert "学生住宿 第4行 校区编号: no JN in sheet 校区" in lines
    assert "学生住宿 第4行 楼号: SB01 is on campus SB" in lines
    assert lines[-1] == "5 problem(s): nothing written"
    from houqin.store import dorms

    assert dorms.campuses() == [] and dorms.building("SB01") is None


@pytest.mark.usefixtures("aws")
def test_a_bed_or_a_card_given_twice_is_caught(tmp_path):
    def twice(rows):
        rows["学生住宿"][2][13:17] = ["C1", "SB01", "101", 1]  # S3 (male) in S1's bed, with S1's card

    written, lines = run(workbook(tmp_path, twice))
    assert written is None
    assert "学生住宿 第5行 床号: bed SB01 101 1 given twice (first on row 3)" in lines
    assert "学生住宿 第5行 卡号: card C1 given to two residents (first on row 3)" in lines


@pytest.mark.usefixtures("aws")
def test_a_good_file_is_written_through_the_bed_transactions_and_a_rerun_duplicates_nothing(tmp_path):
    from houqin.store import dorms, payroll, staff

    path = workbook(tmp_path)
    written, lines = run(path)
    assert lines == [] and written["placed"] == 2 and written["new beds"] == 8
    first = stored_counts()
    assert first == {"residents": 3, "beds": 8, "occupied": 2, "building_occupied": 2, "staff": 2, "bed events": 2}
    cards = dorms.cards(["C1", "C2", "C3"])
    assert {c: (cards[c].resident_id, cards[c].building_id) for c in cards} == {
        "C1": ("S1", "SB01"), "C2": ("S2", "SB01"), "C3": ("S3", None)}
    assert dorms.resident("S2").room_no == "601"
    assert dorms.room("SB01", "101").category == "本科" and dorms.room("SB01", "601").category is None
    assert staff.member("E1").team_id == "SB-WATER" and staff.member("E2").contract == "contract"
    opening = payroll.openings(2026, ["E1", "E2"])
    assert list(opening) == ["E1"] and opening["E1"].tax_withheld_fen == 200_050
    assert opening["E1"].months_paid == 10 and opening["E1"].income_fen == 10_000_000

    written, lines = run(path)  # again: the same keys, residents stay in their beds
    assert lines == [] and written["placed"] == 0 and written["new beds"] == 0
    assert stored_counts() == first


@pytest.mark.usefixtures("aws")
def test_a_resident_already_in_another_bed_is_refused(tmp_path):
    run(workbook(tmp_path))

    def moved(rows):
        rows["学生住宿"][0][16] = 3

    written, lines = run(workbook(tmp_path, moved))
    assert written is None
    assert lines[0] == "学生住宿 第3行 床号: already in SB01 101 1: move or check out through the dorm pages first"


def test_users_students_parents_with_their_children_and_staff_by_role(tmp_path):
    book, problems = campus_import.check(workbook(tmp_path))
    assert problems == []
    users = {u.username: u for u in campus_import.users(book)}
    assert users["S1"].groups == ("student",)
    assert users["P2"].groups == ("parent",) and users["P2"].child_ids == ("S2",)
    assert users["E2"].groups == ("manager", "staff") and "E1" in users
    assert users["P1"].attributes() == [{"Name": "custom:person_id", "Value": "P1"},
                                        {"Name": "custom:child_ids", "Value": "S1"}]


def test_create_users_is_idempotent_on_moto_cognito():
    import boto3
    from moto import mock_aws

    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool = cognito.create_user_pool(PoolName="p", Schema=[
            {"Name": "person_id", "AttributeDataType": "String", "Mutable": True},
            {"Name": "child_ids", "AttributeDataType": "String", "Mutable": True}])["UserPool"]["Id"]
        for group in ("student", "parent"):
            cognito.create_group(GroupName=group, UserPoolId=pool)
        wanted = [campus_import.User("S1", ("student",), "S1"), campus_import.User("P1", ("parent",), "P1", ("S1",))]
        assert campus_import.create_users(cognito, pool, wanted) == {"created": 2, "updated": 0}
        assert campus_import.create_users(cognito, pool, wanted) == {"created": 0, "updated": 2}
        users = cognito.list_users_in_group(UserPoolId=pool, GroupName="parent")["Users"]
        assert [u["Username"] for u in users] == ["P1"]
        attributes = {a["Name"]: a["Value"] for a in users[0]["Attributes"]}
        assert attributes["custom:child_ids"] == "S1"


def test_the_cli_writes_the_template_and_checks_a_workbook(tmp_path, capsys):
    from localcloud.cli import main

    assert main(["import", "--template", str(tmp_path / "empty.xlsx")]) == 0
    assert "9 sheets" in capsys.readouterr().out
    assert main(["import", "--check", str(workbook(tmp_path))]) == 0
    assert "every row passes" in capsys.readouterr().out

    def spoil(rows):
        rows["员工"][0][5] = "临时"

    assert main(["import", "--check", str(workbook(tmp_path, spoil))]) == 1
    assert "员工 第3行 用工形式: '临时' is not 正式 or 合同" in capsys.readouterr().out
