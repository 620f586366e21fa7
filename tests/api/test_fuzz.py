"""Generated requests against every API operation: never a 5xx (schemathesis).

Each operation gets examples built from its own OpenAPI description, sent as
a planner, an inspector and a case officer of the demo district, on both
backends. A 5xx is always a bug; 4xx answers are the point.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.both_backends

EXAMPLES_PER_OPERATION = 12


def test_no_operation_answers_5xx(demo_api):
    users = [demo_api.user(role) for role in ("planner", "inspector", "case_officer")]
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo_api.app)
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):  # type: ignore[no-untyped-def]
            for headers in users:
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error])

        fuzz()
        tested.append(operation.label)
    assert len(tested) >= 25, tested
