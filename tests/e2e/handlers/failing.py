from store import count


def handler(event, context):
    count("failing", event["n"])
    raise RuntimeError("always fails")
