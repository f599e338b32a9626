#!/usr/bin/env python3
# Run after `cargo build --release`: python3 scripts/kill9.py [ROUNDS]
# kill -9 rounds: a release server on SQLite takes orders from 8 concurrent clients; it is
# killed with SIGKILL mid-stream, restarted, and checked: the trail verifies, every order has its
# audit entry and its callbacks, nothing half-written.
import json, os, signal, sqlite3, subprocess, sys, threading, time, urllib.request, random
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SUITABILITY_BIN", os.path.join(ROOT, "target/release/suitability"))
D = "/tmp/suitability-kill9"; os.system(f"rm -rf {D}; mkdir -p {D}")
URL = f"sqlite://{D}/s.db"
ENV = dict(os.environ, DATABASE_URL=URL, RUST_LOG="warn")
def cli(*a):
    return subprocess.run([BIN, *a], env=ENV, capture_output=True, text=True, cwd=ROOT)
def token(name, role):
    return cli("token", "create", "--name", name, "--role", role).stdout.strip().splitlines()[-1]
def start():
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:18080", "--checkpoint-minutes", "0"], env=ENV, cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=open(f"{D}/log", "a"))
    for _ in range(100):
        try:
            urllib.request.urlopen("http://127.0.0.1:18080/health", timeout=1); return p
        except Exception: time.sleep(0.1)
    raise SystemExit("did not start")
def req(method, path, tok, body=None):
    r = urllib.request.Request("http://127.0.0.1:18080" + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(r, timeout=5) as resp: return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read() or b"null")
def check_digit(f):
    w=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]; return f+"10X98765432"[sum(int(a)*b for a,b in zip(f,w))%11]
S = token("k9sales", "sales"); R = token("k9risk", "risk")
p = start()
st, inv = req("POST", "/v1/investors", S, {"kind":"individual","name":"九","id_number":check_digit("11010119800101001"),"birth_date":"1980-01-01","financial_assets":5000000})
assert st == 201, inv
st, q = req("GET", "/v1/questionnaires/individual", S)
ans = {}
for qu in q["questions"]:
    best = max(qu["options"], key=lambda o: o["points"])["id"]
    ans[qu["id"]] = [best] if qu["multiple"] else best
st, a = req("POST", f"/v1/investors/{inv['id']}/assessments", S, {"questionnaire_id":"individual","answers":ans})
print("assessment", st, a.get("level") if isinstance(a, dict) else a)
st, prod = req("POST", "/v1/products", R, {"code":"K9","name":"K9","kind":"private_securities","risk_rating":"R3","min_subscription":1000000})
assert st == 201, prod
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
placed = [0]; errors = [0]; stop = threading.Event()
def client():
    while not stop.is_set():
        try:
            st, _ = req("POST", "/v1/orders", S, {"investor_id":inv["id"],"product_id":prod["id"],"amount":1000000,"signed_at":now,"paid_at":now,"acknowledgments":["dual_recording","mismatch_warning_signed"]})
            if st == 201: placed[0] += 1
            else: errors[0] += 1
        except Exception: errors[0] += 1
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
for rnd in range(rounds):
    stop.clear(); ts = [threading.Thread(target=client) for _ in range(8)]
    [t.start() for t in ts]
    time.sleep(random.uniform(0.5, 1.5))
    p.send_signal(signal.SIGKILL); p.wait()
    stop.set(); [t.join() for t in ts]
    p = start()
    v = cli("audit", "verify")
    db = sqlite3.connect(f"{D}/s.db")
    orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    audited = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'order.create'").fetchone()[0]
    bare = db.execute("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.order_id = o.id)").fetchone()[0]
    nodecision = db.execute("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.id = o.decision_id)").fetchone()[0]
    db.close()
    print(f"round {rnd+1}: 201s {placed[0]}, failed/cut {errors[0]}, orders {orders}, order.create entries {audited}, orders without callbacks {bare}, without decision {nodecision}; verify: {v.stdout.strip()}")
    assert v.returncode == 0 and orders == audited and bare == 0 and nodecision == 0 and orders >= placed[0]
p.send_signal(signal.SIGTERM); p.wait()
print("all rounds: nothing lost, nothing half-written")
