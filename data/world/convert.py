#!/usr/bin/env python3
"""Convert Natural Earth's 110m countries, as the npm package world-atlas
(2.0.2, ISC; the data public domain) ships them in countries-110m.json
(TopoJSON), into crates/ipkit/data/world-110m.txt: one country a line,
`ALPHA2<TAB>NAME<TAB>RINGS`, RINGS `;`-separated rings of space-separated
`lon,lat` points to 0.01 degree. ISO 3166-1 numeric ids become alpha-2
codes through Debian's iso-codes (/usr/share/iso-codes/json/iso_3166-1.json);
a country with no ISO id (Kosovo, Somaliland, N. Cyprus) gets `-`.

Run once: python3 data/world/convert.py PATH/countries-110m.json
(fetch it with `npm pack world-atlas@2.0.2` and untar). Standard library only.
"""
import json
import sys

topo = json.load(open(sys.argv[1]))
iso = json.load(open("/usr/share/iso-codes/json/iso_3166-1.json"))["3166-1"]
alpha2 = {c["numeric"]: c["alpha_2"] for c in iso}
(sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]

arcs = []
for arc in topo["arcs"]:
    x = y = 0
    pts = []
    for dx, dy in arc:
        x += dx
        y += dy
        pts.append((x * sx + tx, y * sy + ty))
    arcs.append(pts)


def ring(indices):
    out = []
    for i in indices:
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(pts if not out else pts[1:])
    return out


lines = []
for g in topo["objects"]["countries"]["geometries"]:
    polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
    rings = []
    for poly in polys:
        for r in poly:
            pts = []
            for lon, lat in ring(r):
                p = f"{lon:.2f},{lat:.2f}"
                if not pts or pts[-1] != p:
                    pts.append(p)
            rings.append(" ".join(pts))
    code = alpha2.get(g.get("id", ""), "-")
    lines.append(f"{code}\t{g['properties']['name']}\t{';'.join(rings)}")
out = "crates/ipkit/data/world-110m.txt"
open(out, "w").write("\n".join(lines) + "\n")
print(f"{out}: {len(lines)} countries")
