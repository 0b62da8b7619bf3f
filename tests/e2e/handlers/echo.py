import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Function": context.function_name,
                    "X-Clock-Offset": os.environ.get("HOUQIN_CLOCK_OFFSET", "")},  # what the cloud's clock told it
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(event),
    }
