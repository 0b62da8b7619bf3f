"""Powertools Logger, Metrics and Tracer, set up once per process.

Every handler is traced (the template turns X-Ray on: ``Tracing: Active``): plain handlers with
``@tracer.capture_lambda_handler``, Chalice apps by ``houqin.api.HouqinApp``. Responses are not put in
traces (``POWERTOOLS_TRACER_CAPTURE_RESPONSE`` is false in the template).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
