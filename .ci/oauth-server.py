#!/usr/bin/env python3
"""A small OAuth 2.0 authorization server for Mailroom's integration tests, on 127.0.0.1 only.

    oauth-server.py PORT CLIENT_ID [TLS_PORT CERT KEY]

With TLS_PORT, the same endpoints are also served over https there (the test CA's certificate).

Endpoints (RFC 6749 with PKCE S256 required, RFC 7009 revocation, RFC 7662 introspection):
  GET  /authorize   redirects at once to redirect_uri with a code for the login_hint user
                    (no login page: the test's HTTP client stands in for the browser)
  POST /token       authorization_code (checks client_id, redirect_uri, code_verifier) and
                    refresh_token grants; a refresh rotates the refresh token
  POST /revoke      revokes a refresh token and every access token issued with it
  POST /introspect  Dovecot's passdb oauth2 (introspection_mode = post) checks tokens here
  POST /control/expires_in?seconds=N   lifetime of the access tokens issued from now on
  POST /control/expire?user=U          makes U's access tokens inactive (as if expired)
  POST /control/revoke?user=U          revokes every refresh and access token of U
  GET  /control/stats                  counts of grants, as JSON
  GET  /health
Tokens are random and kept in memory only. Nothing is logged but method and path.
"""
import base64, hashlib, json, secrets, ssl, sys, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs, urlencode

PORT, CLIENT_ID = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
codes = {}     # code -> {user, redirect_uri, challenge, scope}
refresh = {}   # refresh token -> {user, scope, active}
access = {}    # access token -> {user, scope, active, refresh}
settings = {"expires_in": 3600}
stats = {"authorization_code": 0, "refresh_token": 0, "refresh_refused": 0, "revoked": 0, "introspect": 0}


def issue(user, scope, rt):
    at = secrets.token_urlsafe(32)
    access[at] = {"user": user, "scope": scope, "active": True, "refresh": rt}
    return at


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, urlparse(self.path).path))

    def send(self, status, body, headers=None):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        for k, v in (headers or {"Content-Type": "application/json", "Cache-Control": "no-store"}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode() if n else ""
        f = {k: v[0] for k, v in parse_qs(raw).items()}
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            cid, _, _ = base64.b64decode(auth[6:]).decode().partition(":")
            f.setdefault("client_id", cid)
        return f

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/health":
            return self.send(200, {"ok": True})
        if u.path == "/control/stats":
            with lock:
                return self.send(200, stats)
        if u.path != "/authorize":
            return self.send(404, {"error": "not_found"})
        redirect = q.get("redirect_uri", "")
        ru = urlparse(redirect)
        if ru.scheme != "http" or ru.hostname != "127.0.0.1" or not ru.port:
            return self.send(400, {"error": "invalid_request", "error_description": "loopback redirect_uri required"})
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return self.send(400, {"error": "unauthorized_client"})
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return self.send(400, {"error": "invalid_request", "error_description": "PKCE S256 required"})
        user = q.get("login_hint", "")
        code = secrets.token_urlsafe(24)
        with lock:
            codes[code] = {"user": user, "redirect_uri": redirect, "challenge": q["code_challenge"], "scope": q.get("scope", "")}
        params = {"code": code}
        if "state" in q:
            params["state"] = q["state"]
        self.send(302, b"", {"Location": redirect + "?" + urlencode(params)})

    def do_POST(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        f = self.form()
        with lock:
            if u.path == "/token":
                return self.token(f)
            if u.path == "/revoke":
                t = f.get("token", "")
                if t in refresh:
                    refresh[t]["active"] = False
                    for a in access.values():
                        if a["refresh"] == t:
                            a["active"] = False
                    stats["revoked"] += 1
                return self.send(200, {})
            if u.path == "/introspect":
                stats["introspect"] += 1
                a = access.get(f.get("token", ""))
                if not a or not a["active"]:
                    return self.send(200, {"active": False})
                return self.send(200, {"active": True, "username": a["user"], "scope": a["scope"], "client_id": CLIENT_ID})
            if u.path == "/control/expires_in":
                settings["expires_in"] = int(q["seconds"])
                return self.send(200, settings)
            if u.path == "/control/revoke":
                for r in refresh.values():
                    if r["user"] == q.get("user"):
                        r["active"] = False
                for a in access.values():
                    if a["user"] == q.get("user"):
                        a["active"] = False
                stats["revoked"] += 1
                return self.send(200, {})
            if u.path == "/control/expire":
                for a in access.values():
                    if a["user"] == q.get("user"):
                        a["active"] = False
                return self.send(200, {})
        self.send(404, {"error": "not_found"})

    def token(self, f):
        if f.get("client_id") != CLIENT_ID:
            return self.send(401, {"error": "invalid_client"})
        grant = f.get("grant_type")
        if grant == "authorization_code":
            c = codes.pop(f.get("code", ""), None)
            if not c or c["redirect_uri"] != f.get("redirect_uri"):
                return self.send(400, {"error": "invalid_grant", "error_description": "unknown code"})
            v = f.get("code_verifier", "").encode()
            if base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"=").decode() != c["challenge"]:
                return self.send(400, {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"})
            rt = secrets.token_urlsafe(32)
            refresh[rt] = {"user": c["user"], "scope": c["scope"], "active": True}
            stats["authorization_code"] += 1
            return self.send(200, {"access_token": issue(c["user"], c["scope"], rt), "token_type": "Bearer",
                                   "expires_in": settings["expires_in"], "refresh_token": rt, "scope": c["scope"]})
        if grant == "refresh_token":
            old = refresh.get(f.get("refresh_token", ""))
            if not old or not old["active"]:
                stats["refresh_refused"] += 1
                return self.send(400, {"error": "invalid_grant", "error_description": "refresh token revoked or expired"})
            old["active"] = False  # rotated
            rt = secrets.token_urlsafe(32)
            refresh[rt] = {"user": old["user"], "scope": old["scope"], "active": True}
            for a in access.values():  # the rotated chain stays revocable as one
                if a["refresh"] == f["refresh_token"]:
                    a["refresh"] = rt
            stats["refresh_token"] += 1
            return self.send(200, {"access_token": issue(old["user"], old["scope"], rt), "token_type": "Bearer",
                                   "expires_in": settings["expires_in"], "refresh_token": rt})
        return self.send(400, {"error": "unsupported_grant_type"})


if len(sys.argv) > 5:
    tls = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    threading.Thread(target=tls.serve_forever, daemon=True).start()
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
