"""schemathesis against /api/openapi.json, in process: no 5xx, and every answer as documented.

Every operation of the OpenAPI document runs inside a real tenant (its ``tenant`` path
parameter is the tenant's slug) with a bearer token of an API client holding every scope a
tenant can grant; the API-client routes, which refuse tokens by design, get the session cookie
of a user with every role instead. Each operation runs twice: with generated object ids (mostly
unknown ones: the 404s) and with the ids of real objects of the tenant (the 200s). Each example
runs in a savepoint rolled back afterwards, so the examples are independent and, with
``derandomize``, the same on every run.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import tests.core.test_isolation_sweep as sweep
from core.testing import World, rolled_back

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
#: Examples per operation and variant: enough to reach every documented answer, few enough to
#: keep the file to seconds. Unknown ids mostly give the same 404, so they get fewest.
EXAMPLES = {"real ids": 8, "no ids": 8, "unknown ids": 3, "invalid": 4}
#: Operations that refuse bearer tokens on purpose; they are called with the session cookie.
COOKIE_ONLY_PREFIX = "/api/v1/t/{tenant}/api-clients"


def example_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        # Speed and filtering health checks judge the generator, not the API; a slow
        # PostgreSQL must not turn them into failures.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        print_blob=False,
    )


def _real_ids(world: World, operation) -> dict:
    """The path parameters of ``operation`` filled with the ids of the tenant's real objects: the
    world values the isolation sweep fills them with (core's FILLERS and each plugin's)."""
    names = {parameter.name for parameter in operation.path_parameters} - {"tenant"}
    unknown = names - set(sweep.FILLERS)
    assert not unknown, f"{operation.label}: give the test a real object for {sorted(unknown)}"
    return {name: world.value(sweep.FILLERS[name]) for name in names}


def _can_be_invalid(operation) -> bool:
    """Whether negative generation has anything to break: a body, a query, or an id in the path."""
    typed = [p for p in operation.path_parameters if p.name != "tenant"
             and (p.definition.get("schema") or {}).get("type") != "string"]
    return bool(list(operation.body) or list(operation.query) or typed)


def test_the_api_answers_as_documented(app, tenant_worlds, client):
    world, _other = tenant_worlds
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if operation.path.startswith(COOKIE_ONLY_PREFIX):
            auth = {"cookies": {app.config["SESSION_COOKIE_NAME"]: cookie}}
        else:
            auth = {"headers": {"Authorization": f"Bearer {world.bearer}"}}
        with_ids = len(operation.path_parameters) > 1
        variants = [("unknown ids" if with_ids else "no ids", GenerationMode.POSITIVE, {"tenant": world.slug})]
        if with_ids:
            variants.append(("real ids", GenerationMode.POSITIVE, {"tenant": world.slug,
                                                                   **_real_ids(world, operation)}))
        if _can_be_invalid(operation):
            variants.append(("invalid", GenerationMode.NEGATIVE, {"tenant": world.slug}))
        for variant, mode, fixed in variants:
            strategy = operation.as_strategy(mode, path_parameters=fixed, **auth)

            @example_settings(EXAMPLES[variant])
            @given(case=strategy)
            def check(case):
                with rolled_back():
                    response = case.call()
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            # schemathesis reports failures as a BaseExceptionGroup; collect every operation's.
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({variant}):\n{exc}")
    assert operations >= 25, "the OpenAPI document lost its operations"
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
