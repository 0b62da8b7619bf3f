"""localcloud.partiql: the PartiQL UPDATEs the local cloud and the cost meter read as UpdateItems."""

from localcloud.partiql import parse_update

STATEMENT = 'UPDATE "hq-dorms" SET "state"=? SET "last_ts"=? WHERE "pk"=? AND "sk"=? AND "last_ts"<?'
PARAMS = [{"S": "out"}, {"S": "t2"}, {"S": "BLDG#SB01"}, {"S": "PRES#S1"}, {"S": "t2"}]


def test_an_update_is_its_key_its_values_and_its_condition():
    update = parse_update({"Statement": STATEMENT, "Parameters": PARAMS})
    assert update.table == "hq-dorms"
    assert update.sets == (("state", {"S": "out"}), ("last_ts", {"S": "t2"}))
    assert update.key(("pk", "sk")) == {"pk": {"S": "BLDG#SB01"}, "sk": {"S": "PRES#S1"}}
    assert update.condition(("pk", "sk")) == (("last_ts", "<", {"S": "t2"}),)


def test_a_statement_without_the_whole_key_is_no_update_item():
    update = parse_update({"Statement": 'UPDATE "t" SET "a"=? WHERE "pk"=?', "Parameters": [{"S": "1"}, {"S": "k"}]})
    assert update.key(("pk", "sk")) is None


def test_other_statements_are_left_to_moto():
    assert parse_update({"Statement": 'SELECT * FROM "t" WHERE "pk"=?', "Parameters": [{"S": "k"}]}) is None
    assert parse_update({"Statement": "UPDATE \"t\" SET \"a\"=1 WHERE \"pk\"='k'"}) is None  # literals
    assert parse_update({"Statement": STATEMENT, "Parameters": PARAMS[:4]}) is None  # a parameter short


def test_the_local_cloud_compares_as_dynamodb_does():
    from moto.dynamodb.models.dynamo_type import DynamoType

    from localcloud.motofixes import _holds

    def holds(stored, op, value):
        return _holds(DynamoType(stored) if stored else None, op, DynamoType(value))

    assert holds({"N": "10"}, ">", {"N": "9"})  # numbers as numbers, not text
    assert holds({"S": "2026-11-20T00:30:00.000Z"}, "<", {"S": "2026-11-20T04:00:00.000Z"})
    assert not holds(None, "<", {"S": "x"})  # a missing attribute compares false
    assert not holds({"S": "1"}, "<", {"N": "2"}) and holds({"S": "1"}, "<>", {"N": "1"})  # another type
    assert holds({"S": "a"}, "=", {"S": "a"}) and not holds({"S": "a"}, "<>", {"S": "a"})


def test_an_insert_is_its_table_and_item():
    from localcloud.partiql import parse_insert

    found = parse_insert({"Statement": "INSERT INTO \"hq-swipes\" VALUE {'pk': ?, 'sk': ?, 'seq': ?}",
                          "Parameters": [{"S": "GATE#SB01#2026-11-20"}, {"S": "RES#S1#t#SB01-A#7"}, {"N": "7"}]})
    assert found.table == "hq-swipes"
    assert found.item == {"pk": {"S": "GATE#SB01#2026-11-20"}, "sk": {"S": "RES#S1#t#SB01-A#7"}, "seq": {"N": "7"}}
    assert parse_insert({"Statement": "INSERT INTO \"t\" VALUE {'pk': 'k'}"}) is None  # a literal
    assert parse_update({"Statement": "INSERT INTO \"t\" VALUE {'pk': ?}", "Parameters": [{"S": "k"}]}) is None
