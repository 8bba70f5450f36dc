"""A real HTTP server (Python's http.server) for the `ipkit info` fetch tests.

    python3 info_http_server.py MODE DIRECTORY

Serves DIRECTORY on 127.0.0.1 at a free port and prints the port on its
first line. MODE:
  files  the files as they are (http.server's own GET), 404 when absent
  cut    for a file that exists: a 200 with the file's full Content-Length,
         then only the first half of the body, then the connection closed
         (an interrupted download)
  slow   like cut, but the body trickles out (512 bytes every 50 ms) and
         its last byte comes only after a minute: a download in progress
  api    the files as ipinfo answers: the request must send
         `Accept: application/json` (else 406) and, when the environment
         has WANT_TOKEN, `Authorization: Bearer WANT_TOKEN` (else 403 with
         ipinfo's error body); the file's content is sent as JSON
Each request's method, path and headers are logged to stderr.
"""
import functools
import http.server
import json
import os
import sys
import time

mode, directory = sys.argv[1], sys.argv[2]


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        path = self.translate_path(self.path)
        if mode == "cut" and os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "slow" and os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                for i in range(0, len(data) - 1, 512):
                    self.wfile.write(data[i : min(i + 512, len(data) - 1)])
                    self.wfile.flush()
                    time.sleep(0.05)
                # The last byte only after a minute: the download is surely
                # still in progress when the test interrupts it.
                time.sleep(60)
                self.wfile.write(data[-1:])
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if mode == "api":
            if self.headers.get("Accept") != "application/json":
                self.send_error(406)
                return
            want = os.environ.get("WANT_TOKEN")
            if want and self.headers.get("Authorization") != "Bearer " + want:
                body = json.dumps({"status": 403, "error": {"title": "Unknown token",
                                   "message": "Please ensure you've entered your token correctly."}})
                self.send_json(403, body.encode())
                return
            if not os.path.isfile(path):
                body = json.dumps({"status": 404, "error": {"title": "Wrong ip",
                                   "message": "Please provide a valid IP address"}})
                self.send_json(404, body.encode())
                return
            with open(path, "rb") as f:
                self.send_json(200, f.read())
            return
        super().do_GET()

    def send_json(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.requestline, dict(self.headers)))


server = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(Handler, directory=directory)
)
print(server.server_address[1], flush=True)
server.serve_forever()
