#!/usr/bin/env python3
"""Writes docs/openapi.json, the API's contract (OpenAPI 3.1). Edit this file, run it, then
tools/embed-openapi.sh; a test fails when the routes and the document disagree."""
import json, pathlib

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def error(desc): return {"description": desc, "content": {"application/json": {"schema": ref("Error")}}}
def ok(desc, schema, status="200"): return {status: {"description": desc, "content": {"application/json": {"schema": schema}}}}
def body(schema, required=True): return {"required": required, "content": {"application/json": {"schema": schema}}}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
PAGE = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
    {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "From the previous page's Link header."},
]
AUTH_ERRORS = {"401": error("Missing, invalid, expired or revoked token"), "429": error("Rate limited; see Retry-After")}
WRITE_ERRORS = {"400": error("Invalid input, naming the field"), "413": error("Body over 64 KiB"), "415": error("Content-Type is not application/json"), "503": error("The store could not commit (e.g. out of disk space); nothing was saved; see Retry-After")}
secure = [{"bearer": []}]

def op(summary, responses, *, auth=True, request=None, params=None, tag=None):
    o = {"summary": summary, "responses": responses}
    if auth: o["security"] = secure
    else: o["security"] = []
    if request: o["requestBody"] = request
    if params: o["parameters"] = params
    if tag: o["tags"] = [tag]
    return o

user = {"type": "object", "required": ["id", "email", "name", "role", "created_at"], "properties": {
    "id": {"type": "integer"}, "email": {"type": "string", "format": "email"}, "name": {"type": "string"},
    "role": {"type": "string", "enum": ["user", "facilitator"]}, "bio": {"type": ["string", "null"]},
    "specialization": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"}}}
facilitator = {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "bio": {"type": ["string", "null"]}, "specialization": {"type": ["string", "null"]}}}
session = {"type": "object", "required": ["id", "title", "session_type", "start_time", "end_time", "capacity", "price", "status", "facilitator_id", "available_spots", "booked_count", "created_at"], "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"}, "description": {"type": ["string", "null"]},
    "session_type": {"type": "string", "enum": ["session", "retreat"]}, "start_time": {"type": "string", "format": "date-time"},
    "end_time": {"type": "string", "format": "date-time"}, "capacity": {"type": "integer"}, "price": {"type": "number"},
    "location": {"type": ["string", "null"]}, "status": {"type": "string", "enum": ["active", "cancelled"]},
    "facilitator_id": {"type": "integer"}, "facilitator": {"oneOf": [ref("Facilitator"), {"type": "null"}]},
    "available_spots": {"type": "integer"}, "booked_count": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"}}}
booking = {"type": "object", "required": ["id", "booking_id", "session_id", "user_id", "booking_status", "price", "created_at"], "properties": {
    "id": {"type": "integer"}, "booking_id": {"type": "integer"}, "session_id": {"type": "integer"}, "user_id": {"type": "integer"},
    "booking_status": {"type": "string", "enum": ["confirmed", "cancelled"]}, "notes": {"type": ["string", "null"]},
    "price": {"type": "number"}, "created_at": {"type": "string", "format": "date-time"}, "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
    "session": {"oneOf": [ref("Session"), {"type": "null"}]},
    "user": {"oneOf": [{"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}}}, {"type": "null"}]}}}
times = "ISO 8601 date-time; with an offset it is that instant, without one it is read as UTC."
session_input = {"type": "object", "required": ["title", "start_time", "end_time", "capacity"], "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 200}, "description": {"type": "string", "maxLength": 5000},
    "session_type": {"type": "string", "enum": ["session", "retreat"], "default": "session"},
    "start_time": {"type": "string", "description": times}, "end_time": {"type": "string", "description": times + " After start_time."},
    "capacity": {"type": "integer", "minimum": 1, "maximum": 100000}, "price": {"type": "number", "minimum": 0, "multipleOf": 0.01},
    "location": {"type": "string", "maxLength": 300}}}
session_patch = {"type": "object", "minProperties": 1, "properties": {k: v for k, v in session_input["properties"].items()}}
token = {"type": "object", "required": ["access_token", "token_type", "expires_in", "user"], "properties": {
    "access_token": {"type": "string"}, "token_type": {"type": "string", "const": "Bearer"}, "expires_in": {"type": "integer"}, "user": ref("User")}}
message = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
health = {"type": "object", "required": ["status", "store", "projection"], "properties": {
    "status": {"type": "string", "enum": ["ok", "degraded"], "description": "degraded while commits fail (see store.last_failure); reads still work"},
    "store": {"type": "object", "properties": {"open": {"type": "boolean"}, "last_position": {"type": "integer"},
        "writable": {"type": "boolean", "description": "false while the last commit failed and none has succeeded since"},
        "last_failure": {"type": "string", "enum": ["out_of_space", "commit_failed"], "description": "why, while writable is false"}}},
    "projection": {"type": "object", "properties": {"position": {"type": "integer"}, "lag": {"type": "integer"}}},
    "notifier": {"type": "object", "properties": {"sockets": {"type": "integer", "description": "open notifier WebSockets"}}},
    "side_effects": {"type": "object", "description": "Per side-effect subscriber (e.g. crm): on/off, checkpoint, backlog and dead letters",
        "additionalProperties": {"type": "object", "required": ["state", "checkpoint", "backlog", "dead_letters"], "properties": {
            "state": {"type": "string", "enum": ["on", "off"]}, "reason": {"type": "string"}, "checkpoint": {"type": "integer"},
            "backlog": {"type": "integer"}, "dead_letters": {"type": "integer"}}}}}}
list_of = lambda name: {"type": "array", "items": ref(name)}
link_header = {"Link": {"description": "The next page, as <...>; rel=\"next\"", "schema": {"type": "string"}}}
def listed(desc, name): return {"200": {"description": desc, "headers": link_header, "content": {"application/json": {"schema": list_of(name)}}}}

paths = {
    "/health": {"get": op("Store status, projection lag and side-effect subscribers", ok("Healthy", ref("Health")), auth=False, tag="operations")},
    "/metrics": {"get": op("Prometheus metrics (requests, latencies, writer figures)", {"200": {"description": "Text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}}}, auth=False, tag="operations")},
    "/openapi.json": {"get": op("This document", ok("The OpenAPI document", {"type": "object"}), auth=False, tag="operations")},
    "/api/auth/register": {"post": op("Create an account", {**ok("Registered", ref("Token"), "201"), **WRITE_ERRORS, "403": error("Facilitator sign-up disabled"), "429": error("Rate limited")}, auth=False, tag="auth",
        request=body({"type": "object", "required": ["email", "password", "name"], "properties": {"email": {"type": "string", "format": "email"}, "password": {"type": "string", "minLength": 8, "maxLength": 128}, "name": {"type": "string", "minLength": 1, "maxLength": 200}, "role": {"type": "string", "enum": ["user", "facilitator"], "default": "user"}, "bio": {"type": "string"}, "specialization": {"type": "string"}}}))},
    "/api/auth/login": {"post": op("Log in with e-mail and password", {**ok("Logged in", ref("Token")), **WRITE_ERRORS, "401": error("Invalid credentials"), "429": error("Rate limited")}, auth=False, tag="auth",
        request=body({"type": "object", "required": ["email", "password"], "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}))},
    "/api/auth/google": {"post": op("Sign in with a Google ID token", {**ok("Signed in", ref("Token")), **WRITE_ERRORS, "401": error("Invalid Google ID token"), "409": error("E-mail owned by a password account Google is not authoritative for"), "429": error("Rate limited"), "404": error("Google sign-in not enabled on this server (no GOOGLE_CLIENT_ID)"), "503": error("Google's keys could not be fetched")}, auth=False, tag="auth",
        request=body({"type": "object", "required": ["id_token"], "properties": {"id_token": {"type": "string"}}}))},
    "/api/auth/logout": {"post": op("Revoke the caller's tokens", {**ok("Logged out", ref("Message")), **AUTH_ERRORS, "503": error("Store unavailable")}, tag="auth")},
    "/api/auth/me": {"get": op("The caller", {**ok("The caller", ref("User")), **AUTH_ERRORS}, tag="auth")},
    "/api/sessions": {
        "get": op("Active sessions that have not started", {**listed("A page of sessions", "Session"), **AUTH_ERRORS, "400": error("Bad limit or cursor")}, params=PAGE, tag="sessions"),
        "post": op("Publish a session (facilitators)", {"201": {"description": "Created", "content": {"application/json": {"schema": {"type": "object", "required": ["session_id"], "properties": {"session_id": {"type": "integer"}}}}}}, **WRITE_ERRORS, **AUTH_ERRORS, "403": error("Not a facilitator")}, request=body(ref("SessionInput")), tag="sessions")},
    "/api/sessions/{id}": {
        "get": op("One session", {**ok("The session", ref("Session")), **AUTH_ERRORS, "404": error("No such session")}, params=[ID], tag="sessions"),
        "put": op("Change some of a session's fields (owner)", {**ok("The updated session", ref("Session")), **WRITE_ERRORS, **AUTH_ERRORS, "403": error("Not the owner"), "404": error("No such session"), "409": error("Cancelled, started, or capacity below bookings")}, params=[ID], request=body(ref("SessionPatch")), tag="sessions")},
    "/api/sessions/{id}/cancel": {"post": op("Cancel a session and its bookings (owner)", {**ok("Cancelled", ref("Cancelled")), **AUTH_ERRORS, "403": error("Not the owner"), "404": error("No such session"), "409": error("Already cancelled or started"), "503": error("Store unavailable")}, params=[ID], tag="sessions")},
    "/api/facilitator/sessions/{id}": {"delete": op("Cancel a session and its bookings (owner; the predecessor's path)", {**ok("Cancelled", ref("Cancelled")), **AUTH_ERRORS, "403": error("Not the owner"), "404": error("No such session"), "409": error("Already cancelled or started"), "503": error("Store unavailable")}, params=[ID], tag="facilitator")},
    "/api/bookings": {"post": op("Book a seat", {"201": {"description": "Booked (or the original answer for a repeated Idempotency-Key, with Idempotent-Replayed: true)", "content": {"application/json": {"schema": ref("Booked")}}}, **WRITE_ERRORS, **AUTH_ERRORS, "404": error("No such session"), "409": error("Full, already booked, cancelled or started")},
        params=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
        request=body({"type": "object", "required": ["session_id"], "properties": {"session_id": {"type": "integer", "minimum": 1}, "notes": {"type": "string", "maxLength": 1000}}}), tag="bookings")},
    "/api/bookings/{id}/cancel": {"post": op("Cancel one's own booking", {**ok("Cancelled", ref("Message")), **AUTH_ERRORS, "404": error("No such booking of the caller's"), "409": error("Already cancelled or the session started"), "503": error("Store unavailable")}, params=[ID], tag="bookings")},
    "/api/bookings/my": {"get": op("The caller's bookings", {**listed("A page of bookings", "Booking"), **AUTH_ERRORS, "400": error("Bad limit or cursor")}, params=PAGE, tag="bookings")},
    "/api/facilitator/bookings": {"get": op("Bookings on the caller's sessions", {**listed("A page of bookings", "Booking"), **AUTH_ERRORS, "400": error("Bad limit or cursor"), "403": error("Not a facilitator")}, params=PAGE, tag="facilitator")},
    "/api/facilitator/sessions": {"get": op("The caller's sessions", {**listed("A page of sessions", "Session"), **AUTH_ERRORS, "400": error("Bad limit or cursor"), "403": error("Not a facilitator")}, params=PAGE, tag="facilitator")},
    "/api/facilitator/sessions/{id}/bookings": {"get": op("Bookings on one of the caller's sessions", {**listed("A page of bookings", "Booking"), **AUTH_ERRORS, "400": error("Bad limit or cursor"), "403": error("Not a facilitator"), "404": error("No such session of the caller's")}, params=[ID] + PAGE, tag="facilitator")},
    "/api/facilitator/dashboard": {"get": op("Dashboard figures", {**ok("Figures", ref("Dashboard")), **AUTH_ERRORS, "403": error("Not a facilitator")}, tag="facilitator")},
    "/api/notifications": {"get": op("Notifications after a position (default: the acknowledged one), oldest first (facilitators)", {**ok("Notifications", list_of("Notification")), **AUTH_ERRORS, "400": error("Bad after or limit"), "403": error("Not a facilitator")},
        params=[{"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "A log position; defaults to the facilitator's acknowledged position."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}], tag="notifications")},
    "/api/notifications/ack": {"post": op("Acknowledge notifications up to a position (the cursor never moves back; an event)", {**ok("The cursor now", {"type": "object", "required": ["acknowledged_position"], "properties": {"acknowledged_position": {"type": "integer"}}}), **WRITE_ERRORS, **AUTH_ERRORS, "403": error("Not a facilitator")},
        request=body({"type": "object", "required": ["position"], "properties": {"position": {"type": "integer", "minimum": 0, "description": "At most the log's last position."}}}), tag="notifications")},
    "/api/notifications/ticket": {"post": op("A single-use ticket (valid 60 s) for a browser's WebSocket, sent as the subprotocol ticket.<ticket> beside booking.v1 (facilitators)",
        {"201": {"description": "Issued", "content": {"application/json": {"schema": {"type": "object", "required": ["ticket", "expires_in", "subprotocols"], "properties": {"ticket": {"type": "string"}, "expires_in": {"type": "integer"}, "subprotocols": {"type": "array", "items": {"type": "string"}}}}}}}, **AUTH_ERRORS, "403": error("Not a facilitator")}, tag="notifications")},
    "/api/notifications/ws": {"get": op("WebSocket of booking notifications (facilitators): replays after the cursor (or ?after=N), then live. "
        "Credential: Authorization: Bearer, or the subprotocols booking.v1 + ticket.<ticket>; never a token in the URL. Server frames: Notification objects, "
        "{type: acknowledged, position} and {type: error, error}. Client frames: {\"type\":\"ack\",\"position\":N}. "
        "Close codes: 1000 server shutdown, 1001 missed pong, 1003 binary frame, 1008 logout, token expiry or too many messages, 1009 frame over 4 KiB, 4000 too far behind (reconnect; replay resumes from the cursor).",
        {"101": {"description": "Switching to WebSocket (echoes Sec-WebSocket-Protocol: booking.v1 when offered)"}, "400": error("Bad after, or a ticket without booking.v1"),
         "401": error("Missing, invalid, expired or revoked token or ticket"), "403": error("Not a facilitator, or Origin not in CORS_ALLOWED_ORIGINS"), "426": error("Sent without a WebSocket upgrade")},
        params=[{"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "Sec-WebSocket-Protocol", "in": "header", "schema": {"type": "string"}, "description": "booking.v1, ticket.<ticket> (browsers)"}], tag="notifications")},
}
document = {
    "openapi": "3.1.0",
    "info": {"title": "Booking engine API", "version": "1.0.0", "description": "Sessions, seats and bookings on an event-sourced core. Errors are {\"error\": \"...\"}."},
    "servers": [{"url": "http://127.0.0.1:8080"}],
    "paths": paths,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "request_id": {"type": "string"}}},
            "User": user, "Facilitator": facilitator, "Session": session, "Booking": booking, "SessionInput": session_input, "SessionPatch": session_patch,
            "Token": token, "Message": message, "Health": health,
            "Notification": {"type": "object", "required": ["type", "position", "booking_id", "user", "session", "timestamp", "message"], "properties": {
                "type": {"type": "string", "enum": ["new_booking", "booking_cancelled"]}, "position": {"type": "integer", "description": "Log position: the cursor to acknowledge"},
                "booking_id": {"type": "integer"},
                "user": {"type": "object", "required": ["id", "name", "email"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}}},
                "session": {"type": "object", "required": ["id", "title", "start_time"], "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "start_time": {"type": "string", "format": "date-time"}}},
                "timestamp": {"type": "string", "format": "date-time"}, "message": {"type": "string"}}},
            "Booked": {"type": "object", "required": ["booking_id", "session_id", "booking_status"], "properties": {"booking_id": {"type": "integer"}, "session_id": {"type": "integer"}, "booking_status": {"type": "string"}, "message": {"type": "string"}}},
            "Cancelled": {"type": "object", "required": ["message", "session_id", "cancelled_bookings"], "properties": {"message": {"type": "string"}, "session_id": {"type": "integer"}, "cancelled_bookings": {"type": "integer"}}},
            "Dashboard": {"type": "object", "required": ["total_sessions", "active_sessions", "upcoming_sessions", "total_bookings", "total_revenue", "recent_bookings"], "properties": {
                "total_sessions": {"type": "integer"}, "active_sessions": {"type": "integer"}, "upcoming_sessions": {"type": "integer"},
                "total_bookings": {"type": "integer"}, "total_revenue": {"type": "number"}, "recent_bookings": list_of("Booking")}},
        },
    },
}
path = pathlib.Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
print(f"wrote {path}")
