"""The Python side of bench/info.sh: the maxminddb C extension (MODE_MMAP_EXT)
looks up each address of stdin in the city mmdb, joins the AS from the
ip-location-db ASN CSV (sorted ranges, bisect), and writes ipinfo-shaped
NDJSON (the fields ipkit writes, in ipinfo's order). Bogons are skipped as
ipkit skips them (ipinfo's IPv4 list as int ranges searched with bisect:
Python's ipaddress.is_global would cost ten times the lookup itself)."""
import bisect, csv, ipaddress, json, socket, struct, sys
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
# ipinfo's IPv4 bogons (ipinfo.io/bogon) less what the IANA registry marks
# globally reachable inside them (192.0.0.9, 192.0.0.10), as ipkit has it.
BOGONS = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
          "172.16.0.0/12", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.11/32", "192.0.0.12/30",
          "192.0.0.16/28", "192.0.0.32/27", "192.0.0.64/26", "192.0.0.128/25", "192.0.2.0/24",
          "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3"]
bogon_ranges = sorted((int(n.network_address), int(n.broadcast_address))
                      for n in map(ipaddress.IPv4Network, BOGONS))
bogon_starts = [r[0] for r in bogon_ranges]
out = sys.stdout
dumps = json.dumps
unpack, aton = struct.Struct("!I").unpack, socket.inet_aton
for line in sys.stdin:
    text = line.strip()
    n = unpack(aton(text))[0]
    b = bisect.bisect_right(bogon_starts, n) - 1
    if b >= 0 and n <= bogon_ranges[b][1]:
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
    i = bisect.bisect_right(starts, n) - 1
    if i >= 0 and n <= ends[i]:
        o["org"] = orgs[i]
    if r.get("postcode"):
        o["postal"] = r["postcode"]
    if r.get("timezone"):
        o["timezone"] = r["timezone"]
    out.write(dumps(o, ensure_ascii=False) + "\n")
