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
    request = update.as_update_item(("pk", "sk"))
    assert request["UpdateExpression"] == "SET #s0 = :s0, #s1 = :s1"
    assert request["ConditionExpression"] == "attribute_exists(#k0) AND #c0 < :c0"  # the item must exist
    assert request["ExpressionAttributeNames"] == {"#k0": "pk", "#k1": "sk", "#s0": "state", "#s1": "last_ts",
                                                   "#c0": "last_ts"}


def test_a_statement_without_the_whole_key_is_no_update_item():
    update = parse_update({"Statement": 'UPDATE "t" SET "a"=? WHERE "pk"=?', "Parameters": [{"S": "1"}, {"S": "k"}]})
    assert update.key(("pk", "sk")) is None and update.as_update_item(("pk", "sk")) is None


def test_other_statements_are_left_to_moto():
    assert parse_update({"Statement": 'SELECT * FROM "t" WHERE "pk"=?', "Parameters": [{"S": "k"}]}) is None
    assert parse_update({"Statement": "UPDATE \"t\" SET \"a\"=1 WHERE \"pk\"='k'"}) is None  # literals
    assert parse_update({"Statement": STATEMENT, "Parameters": PARAMS[:4]}) is None  # a parameter short
