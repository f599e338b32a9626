#!/usr/bin/env python3
# Run after `cargo build --release`: python3 scripts/hostile-health.py
# /health latency while four clients hit a rule that spins until the sandbox stops it, against a
# baseline measured in the same run without them. Release server, SQLite.
import json, os, subprocess, threading, time, urllib.request, glob
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SUITABILITY_BIN", os.path.join(ROOT, "target/release/suitability"))
D = "/tmp/suitability-hostile"; os.system(f"rm -rf {D}; mkdir -p {D}")
ENV = dict(os.environ, DATABASE_URL=f"sqlite://{D}/s.db", RUST_LOG="warn")
def cli(*a): return subprocess.run([BIN, *a], env=ENV, capture_output=True, text=True, cwd=ROOT)
def token(n, r): return cli("token", "create", "--name", n, "--role", r).stdout.strip().splitlines()[-1]
S, R1, R2 = token("hs", "sales"), token("hr1", "risk"), token("hr2", "risk")
p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:18081", "--checkpoint-minutes", "0"], env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
def req(m, path, tok=None, body=None):
    h = {"Content-Type": "application/json"}
    if tok: h["Authorization"] = "Bearer " + tok
    r = urllib.request.Request("http://127.0.0.1:18081" + path, method=m, data=None if body is None else json.dumps(body).encode(), headers=h)
    try:
        with urllib.request.urlopen(r, timeout=10) as resp: return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read() or b"null")
files = {}
for f in glob.glob(ROOT + "/rules/*.rhai") + [ROOT + "/rules/checks.toml"] + glob.glob(ROOT + "/rules/tests/*.toml"):
    files[f.split(ROOT + "/rules/")[1]] = open(f).read()
files["70-spin.rhai"] = 'if product.code == "SPIN" { let n = 0; loop { n += 1; } }\nif product.code == "NOTE" { decision.note("n"); }'
files["tests/spin.toml"] = '[[case]]\nname = "spins"\nproduct = { code = "SPIN" }\n[case.expect]\nerror = "stopped"\n\n[[case]]\nname = "notes"\nproduct = { code = "NOTE" }\n[case.expect]\nverdict = "match"\n'
st, up = req("POST", "/v1/rulesets", R1, {"files": files, "note": "spin"}); assert st == 201, up
st, act = req("POST", f"/v1/rulesets/{up['version']}/activate", R2, {}); assert st == 200, act
w=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]; f="11010119800101002"; idn = f+"10X98765432"[sum(int(a)*b for a,b in zip(f,w))%11]
st, inv = req("POST", "/v1/investors", S, {"kind":"individual","name":"测","id_number":idn,"birth_date":"1980-01-01"}); assert st == 201, inv
st, prod = req("POST", "/v1/products", R1, {"code":"SPIN","name":"SPIN","kind":"private_securities","risk_rating":"R3","min_subscription":1000000}); assert st == 201, prod
def sample(n=400):
    t = []
    for _ in range(n):
        a = time.perf_counter(); req("GET", "/health"); t.append((time.perf_counter() - a) * 1000); time.sleep(0.005)
    t.sort(); return t[len(t)//2], t[int(len(t)*0.99)], t[-1]
base = sample()
stop = threading.Event(); counts = {}
def hostile(i):
    n = 0; codes = {}
    while not stop.is_set():
        st, b = req("POST", "/v1/suitability/check", S, {"investor_id": inv["id"], "product_id": prod["id"], "amount": 1000000})
        codes[st] = codes.get(st, 0) + 1
    counts[i] = codes
ts = [threading.Thread(target=hostile, args=(i,)) for i in range(4)]; [t.start() for t in ts]
time.sleep(0.5)
under = sample()
stop.set(); [t.join() for t in ts]
p.terminate(); p.wait()
print(f"/health alone: p50 {base[0]:.2f} ms, p99 {base[1]:.2f} ms, max {base[2]:.2f} ms")
print(f"/health with 4 hostile clients: p50 {under[0]:.2f} ms, p99 {under[1]:.2f} ms, max {under[2]:.2f} ms ({under[1]/base[1]:.2f}x the p99 alone)")
print("hostile check answers:", counts)
