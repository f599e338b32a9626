#!/usr/bin/env python3
"""The outside fuzzer: starts the service on a fresh SQLite database, issues a token per role,
and runs Schemathesis against /openapi.json, each operation called with the token of a role the
access table lets in (its description says "Access: …"). Exits with Schemathesis's status.

Usage: scripts/schemathesis.py BINARY [--max-examples N] [--seconds S] [extra schemathesis args]
Needs Schemathesis on PATH or in .venv-schemathesis/ (the CI script installs it there).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROLES = ["sales", "risk", "planner", "compliance", "admin"]

# Operations whose valid input is also bound by what no schema can say: the clock, other
# records, or a policy value of the running service. A 422 there is a correct answer to
# schema-valid data; each says why. Everything else must accept every schema-valid request.
BEYOND_THE_SCHEMA = {
    "GET /v1/callbacks": "one's own queue (assignee=me) comes in one page: `after` with it is refused",
    "GET /v1/callbacks/report": "a report covers at most 366 days from `from` to `to`",
    "GET /v1/complaints/archive": "`from` must come before `to`",
    "GET /v1/reports/self-check": "`from` before `to`, at most 366 days apart",
    "POST /v1/complaints": "`received_at` may not lie in the future",
    "POST /v1/orders": "signing and payment dates within the back-dating policy; the product's minimum",
    "POST /v1/investors/{id}/owner": "the new owner must be an active sales person",
    "POST /v1/tokens": "roles a member may not hold together (sales with planner), with their roles",
    "POST /v1/products": "the minimum subscription's floor is a policy value of the service",
    "PATCH /v1/products/{id}": "the minimum subscription's floor is a policy value of the service",
    "POST /v1/products/{id}/impact": "the minimum subscription's floor is a policy value of the service",
    "POST /v1/suitability/check": "an amount above zero, at least the product's minimum on a first purchase",
    "POST /v1/rulesets": "a rule set's file layout, and its rules must compile and pass their tests",
    "PATCH /v1/investors/{id}": "an e-mail address; net assets for institutions only and civil "
                                "capacity for individuals only, as the investor is one or the other",
    "POST /v1/callbacks": "checks from the active rule set's catalogue; a window within a year from now",
    "POST /v1/imports": "the file's header row must name an import's columns; one import at a time",
    "POST /v1/investors": "an identity number's check digit and birth date (GB 11643, GB 32100), one "
                          "investor per number, a name people can read, an e-mail address, proofs",
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def decoy(binary, env, base, admin):
    """A staff member with a token of its own, for the operations that revoke and disable."""
    subprocess.run([binary, "token", "create", "--name", "fuzz-decoy", "--role", "planner"],
                   env=env, capture_output=True, check=True)

    def get(path):
        req = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {admin}"})
        return json.load(urllib.request.urlopen(req))

    staff = next(s["id"] for s in get("/v1/staff")["items"] if s["name"] == "fuzz-decoy")
    token = next(t["id"] for t in get("/v1/tokens")["items"] if t["staff_name"] == "fuzz-decoy")
    return staff, token


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    binary = os.path.abspath(args.pop(0))
    max_examples, seconds = "20", 300
    # A fixed seed makes a CI run repeatable; explore with --seed N (or any other) by hand.
    seed = os.environ.get("SUITABILITY_FUZZ_SEED", "20261206")
    rest = []
    while args:
        a = args.pop(0)
        if a == "--max-examples":
            max_examples = args.pop(0)
        elif a == "--seconds":
            seconds = int(args.pop(0))
        else:
            rest.append(a)
    st = shutil.which("schemathesis") or os.path.join(os.getcwd(), ".venv-schemathesis/bin/schemathesis")
    work = tempfile.mkdtemp(prefix="suitability-st-")
    db = f"sqlite://{work}/fuzz.db"
    env = dict(os.environ, DATABASE_URL=db, RUST_LOG="warn")
    tokens = {}
    for role in ROLES:
        out = subprocess.run([binary, "token", "create", "--name", f"fuzz-{role}", "--role", role],
                             env=env, capture_output=True, text=True, check=True)
        tokens[role] = out.stdout.strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}",
                               "--checkpoint-dir", f"{work}/checkpoints"],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(f"{work}/server.log", "w"))
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        doc = json.load(urllib.request.urlopen(f"{base}/openapi.json"))
        lines = [f'base-url = "{base}"', ""]
        # Revoking and disabling act on a decoy only: the fuzzer must not lock itself out.
        decoy_staff, decoy_token = decoy(binary, env, base, tokens["admin"])
        overrides = {"POST /v1/staff/{id}/disable": decoy_staff,
                     "POST /v1/tokens/{id}/revoke": decoy_token}
        for path, item in sorted(doc["paths"].items()):
            for method, op in sorted(item.items()):
                found = re.search(r"Access: ([a-z, ]+)\.", op.get("description", ""))
                if not found:
                    continue
                role = found.group(1).split(",")[0].strip()
                if role not in tokens:
                    continue
                name = f"{method.upper()} {path}"
                lines += ["[[operations]]", f'include-name = "{name}"',
                          f'headers = {{ Authorization = "Bearer {tokens[role]}" }}']
                if name in overrides:
                    lines.append(f'parameters = {{ "path.id" = "{overrides[name]}" }}')
                if name in BEYOND_THE_SCHEMA:
                    lines.append('checks = { positive_data_acceptance = { expected-statuses = '
                                 '["2XX", "401", "403", "404", "409", "422"] } }')
                lines.append("")
        config = f"{work}/schemathesis.toml"
        with open(config, "w") as f:
            f.write("\n".join(lines))
        checks = ("not_a_server_error,status_code_conformance,content_type_conformance,"
                  "response_schema_conformance,negative_data_rejection,positive_data_acceptance")
        cmd = [st, "--config-file", config, "run", f"{base}/openapi.json", "--checks", checks,
               "--max-examples", max_examples, "--request-timeout", "10", "--no-color",
               "--seed", seed] + rest
        print("+", " ".join(cmd), flush=True)
        try:
            done = subprocess.run(cmd, timeout=seconds)
            code = done.returncode
        except subprocess.TimeoutExpired:
            print(f"schemathesis ran past {seconds} s", flush=True)
            code = 1
        if server.poll() is not None:
            print("the server stopped during the run:", flush=True)
            print(open(f"{work}/server.log").read()[-4000:])
            code = 1
        return code
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
