import json
import uuid

from store import count


def handler(event, context):
    count("tick", str(uuid.uuid4()), event=json.dumps(event))
