"""Write a seeded synthetic web log: IPv4 and IPv6 clients, ports, and
lookalikes (versions, 999.x, dotted dates, MACs, times). Prints the true
addresses of the first 10,000 lines to a side file so the bench can check
output, and the number of true addresses in the whole block to TRUTH_FILE.count.
usage: gen_log.py OUT_BLOCK TRUTH_FILE BLOCK_MB"""
import random, sys

random.seed(1)
out, truth, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.6099.109", "curl/8.5.0", "Go-http-client/1.1"]
lines, true_addrs, size, total = [], [], 0, 0
while size < mb * 1024 * 1024:
    r = random.random()
    if r < 0.7:
        ip = f"{random.randint(1,223)}.{random.randint(0,255)}.{random.randint(0,255)}.{random.randint(0,255)}"
    else:
        ip = "2001:db8:%x:%x::%x" % (random.randint(0, 65535), random.randint(0, 65535), random.randint(1, 65535))
    extra = random.choice(["", f" upstream={random.randint(1,223)}.{random.randint(0,255)}.1.{random.randint(1,254)}:8080", " v1.2.3.4.5", " build 2024.01.02.3", " mac 00:1a:2b:3c:4d:5e", " bad 999.1.1.1"])
    line = f'{ip} - - [24/Nov/2026:10:{random.randint(10,59)}:{random.randint(10,59)} +0000] "GET /api/v2/items/{random.randint(1,99999)} HTTP/1.1" 200 {random.randint(100,99999)} "-" "{random.choice(agents)}"{extra}\n'
    total += 2 if "upstream=" in extra else 1
    if len(lines) < 10000:
        true_addrs.append(ip)
        if "upstream=" in extra:
            true_addrs.append(extra.split("=")[1])
    lines.append(line)
    size += len(line)
open(out, "w").write("".join(lines))
open(truth, "w").write("\n".join(true_addrs) + "\n")
open(truth + ".count", "w").write(f"{total}\n")
