import time


def handler(event, context):
    time.sleep(5)  # longer than the function's Timeout (1 s)
    return {"statusCode": 200, "body": "too late"}
