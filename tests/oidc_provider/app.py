"""A small but real OpenID Connect provider, run as a process of its own by the tests.

Built on authlib's authorization server: discovery, JWKS, an authorization endpoint that
signs in whoever types an address into its form (consent is implied), and a token endpoint
that authenticates the client, insists on PKCE with S256 and signs RS256 ID tokens. Tests
steer it over HTTP under ``/_test/``: register clients, and make it misbehave (another issuer
or audience in the token, a token already expired, a different nonce, an unverified address).
Nothing here is for production: it keeps everything in memory and trusts anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, Response, jsonify, request
from joserfc.jwk import RSAKey

SCOPES = {"openid", "email", "profile"}
KEY_ID = "test-provider-1"
#: What each test starts from; ``/_test/config`` changes it until the next reset.
DEFAULT_BEHAVIOUR: dict[str, Any] = {
    "issuer": None,  # another issuer in the ID token than the one the provider announces
    "audience": None,  # another audience than the client id
    "lifetime": 300,  # seconds the ID token is valid; negative for one already expired
    "nonce": None,  # another nonce than the one the client sent
    "email_verified": True,
}


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str | None
    redirect_uris: list[str]

    @property
    def auth_method(self) -> str:
        return "client_secret_basic" if self.client_secret else "none"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return self.client_secret is not None and hmac.compare_digest(self.client_secret, client_secret or "")

    def check_endpoint_auth_method(self, method, endpoint):
        return method == self.auth_method if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class EndUser:
    email: str

    @property
    def sub(self) -> str:
        return "user-" + hashlib.sha256(self.email.lower().encode()).hexdigest()[:16]


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: EndUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class State:
    """Everything the provider knows, shared by the server's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})
        self.issuer = ""
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.clients: dict[str, Client] = {}
            self.codes: dict[str, Code] = {}
            self.behaviour = dict(DEFAULT_BEHAVIOUR)
            #: The token requests answered, as the tests may check what the client sent.
            self.token_requests: list[dict[str, Any]] = []


STATE = State()


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "none"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        with STATE.lock:
            STATE.codes[code] = Code(code=code, client_id=request.client.get_client_id(),
                                     redirect_uri=request.payload.redirect_uri, scope=request.payload.scope,
                                     user=request.user, nonce=data.get("nonce"),
                                     code_challenge=data.get("code_challenge"),
                                     code_challenge_method=data.get("code_challenge_method"))

    def query_authorization_code(self, code, client):
        with STATE.lock:
            item = STATE.codes.get(code)
        return item if item is not None and item.client_id == client.get_client_id() else None

    def delete_authorization_code(self, authorization_code):
        with STATE.lock:
            STATE.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class RequireS256(CodeChallenge):
    """PKCE for every client, confidential ones too, and only with S256."""

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required.")
        super().validate_code_challenge(grant, redirect_uri)


class IdToken(OpenIDCode):
    def exists_nonce(self, nonce, request):
        with STATE.lock:
            return any(code.nonce == nonce for code in STATE.codes.values())

    def resolve_client_private_key(self, client):
        return STATE.key

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": KEY_ID}

    def get_client_claims(self, client):
        behaviour = STATE.behaviour
        return {
            "iss": behaviour["issuer"] or STATE.issuer,
            "aud": [behaviour["audience"] or client.get_client_id()],
            "exp": int(time.time()) + int(behaviour["lifetime"]),
        }

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        if STATE.behaviour["nonce"]:
            claims["nonce"] = STATE.behaviour["nonce"]
        return claims

    def generate_user_info(self, user, scope):
        local = user.email.split("@", 1)[0]
        info = UserInfo(sub=user.sub)
        if "profile" in scope.split():
            info.update(name=f"{local.replace('.', ' ').title()}", given_name=local.title(), locale="sv-SE")
        if "email" in scope.split():
            info.update(email=user.email, email_verified=bool(STATE.behaviour["email_verified"]))
        return info


def _query_client(client_id):
    with STATE.lock:
        return STATE.clients.get(client_id)


def _save_token(token, request):
    """Access tokens are not used by anyone here; the provider keeps none."""


FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main><h1>Test provider</h1>
<form method="post">
<label for="email">Email address at the provider</label>
<input type="email" id="email" name="email" required>
<button type="submit">Sign in at the provider</button>
</form><p>Signing in to {client}.</p></main></body></html>"""


def create_app() -> Flask:
    app = Flask(__name__)
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(CodeGrant, [RequireS256(required=True), IdToken(require_nonce=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = STATE.issuer
        return jsonify({
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": sorted(SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        })

    @app.get("/jwks")
    def jwks():
        return jsonify({"keys": [STATE.key.as_dict(private=False)]})

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        email = request.form.get("email", "").strip() if request.method == "POST" else ""
        user = EndUser(email) if email else None
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        if user is None:
            return Response(FORM.format(client=html.escape(grant.client.get_client_id())), mimetype="text/html")
        return server.create_authorization_response(grant_user=user, grant=grant)

    @app.post("/token")
    def token():
        with STATE.lock:
            STATE.token_requests.append({"form": dict(request.form), "basic_auth": request.authorization is not None})
        return server.create_token_response()

    @app.post("/_test/reset")
    def reset():
        STATE.reset()
        return {"issuer": STATE.issuer}

    @app.post("/_test/clients")
    def add_client():
        data = request.get_json()
        with STATE.lock:
            STATE.clients[data["client_id"]] = Client(data["client_id"], data.get("client_secret"),
                                                      list(data["redirect_uris"]))
        return {"client_id": data["client_id"]}

    @app.post("/_test/config")
    def configure():
        data = request.get_json()
        unknown = set(data) - set(DEFAULT_BEHAVIOUR)
        if unknown:
            return {"error": f"unknown settings {sorted(unknown)}"}, 400
        with STATE.lock:
            STATE.behaviour.update(data)
        return STATE.behaviour

    @app.get("/_test/token-requests")
    def token_requests():
        with STATE.lock:
            return jsonify(STATE.token_requests)

    return app


def serve(port_file: Path) -> None:
    """Bind a free loopback port, announce it in ``port_file`` (atomically) and serve."""
    from werkzeug.serving import make_server

    app = create_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    STATE.issuer = f"http://127.0.0.1:{server.server_port}"
    partial = port_file.with_suffix(".partial")
    partial.write_text(str(server.server_port))
    partial.rename(port_file)
    server.serve_forever()
