"""The Python side of bench/info.sh: the maxminddb C extension (MODE_MMAP_EXT)
looks up each address of stdin in the city mmdb, joins the AS from the
ip-location-db ASN CSV (sorted ranges, bisect), and writes ipinfo-shaped
NDJSON (the fields ipkit writes, in ipinfo's order). Bogons are skipped as
ipkit skips them, with Python's own is_global (close to ipinfo's list)."""
import bisect, csv, ipaddress, json, sys
import maxminddb

city_path, asn_path = sys.argv[1], sys.argv[2]
reader = maxminddb.open_database(city_path, maxminddb.MODE_MMAP_EXT)
starts, ends, orgs = [], [], []
with open(asn_path, newline="") as f:
    for start, end, asn, org in csv.reader(f):
        if ":" in start:
            continue
        starts.append(int(ipaddress.IPv4Address(start)))
        ends.append(int(ipaddress.IPv4Address(end)))
        orgs.append(f"AS{asn} {org}" if org else f"AS{asn}")
out = sys.stdout
dumps = json.dumps
for line in sys.stdin:
    text = line.strip()
    ip = ipaddress.IPv4Address(text)
    if not ip.is_global or ip.is_multicast:
        out.write(dumps({"ip": text, "bogon": True}) + "\n")
        continue
    r = reader.get(text) or {}
    o = {"ip": text}
    for ours, theirs in (("city", "city"), ("region", "state1"), ("country", "country_code")):
        v = r.get(theirs)
        if v:
            o[ours] = v
    if "latitude" in r and "longitude" in r:
        o["loc"] = f"{r['latitude']:.4f},{r['longitude']:.4f}"
    n = int(ip)
    i = bisect.bisect_right(starts, n) - 1
    if i >= 0 and n <= ends[i]:
        o["org"] = orgs[i]
    if r.get("postcode"):
        o["postal"] = r["postcode"]
    if r.get("timezone"):
        o["timezone"] = r["timezone"]
    out.write(dumps(o, ensure_ascii=False) + "\n")
