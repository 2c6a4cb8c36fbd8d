#!/usr/bin/env python3
"""Headless Chromium against the dashboard: the page loads, shows the state, and the halt
button halts (checked in the page and through /api/status).

usage: dashboard_browser_test.py DASHBOARD_HARNESS

Drives Debian's chromium through chromedriver (W3C WebDriver over loopback HTTP), with the
flags that work as root in CI. Exits 77 (ctest SKIP) with a message when chromium or
chromedriver is not installed. Only the Python standard library is used.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
TOKEN = "browser-test-token-0123456789"
WAIT_SECONDS = 30


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class WebDriver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.session = None

    def call(self, method, path, body=None):
        status, text = http(method, self.base + path, body)
        reply = json.loads(text) if text else {}
        if status != 200:
            fail("webdriver %s %s: %d %s" % (method, path, status, text[:500]))
        return reply.get("value")

    def start(self, user_data_dir):
        chrome_args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                       "--no-first-run", "--disable-background-networking",
                       "--disable-component-update", "--disable-sync",
                       "--disable-dev-shm-usage", "--user-data-dir=" + user_data_dir]
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": chrome_args}}}}
        value = self.call("POST", "/session", capabilities)
        self.session = value["sessionId"]

    def s(self, path):
        return "/session/" + self.session + path

    def find(self, css):
        value = self.call("POST", self.s("/element"), {"using": "css selector", "value": css})
        return list(value.values())[0]

    def text(self, css):
        return self.call("GET", self.s("/element/" + self.find(css) + "/text"))

    def wait_text(self, css, predicate, what):
        deadline = time.time() + WAIT_SECONDS
        last = None
        while time.time() < deadline:
            last = self.text(css)
            if predicate(last):
                return last
            time.sleep(0.2)
        fail("%s: %s is %r" % (what, css, last))

    def stop(self):
        if self.session:
            http("DELETE", self.base + self.s(""))


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    harness = sys.argv[1]
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if chromium is None:
        print("SKIP: chromium is not installed (apt-get install chromium chromium-driver)")
        sys.exit(SKIP)
    chromedriver = shutil.which("chromedriver")
    if chromedriver is None:
        print("SKIP: chromedriver is not installed (apt-get install chromium-driver)")
        sys.exit(SKIP)

    env = dict(os.environ, GALFRIDAY_DASHBOARD_TOKEN=TOKEN)
    server = subprocess.Popen([harness], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                              text=True)
    driver_port = free_port()
    driver_process = subprocess.Popen([chromedriver, "--port=%d" % driver_port],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = WebDriver(driver_port)
    with tempfile.TemporaryDirectory(prefix="gf-chromium-") as profile:
        try:
            port = None
            for line in server.stdout:  # log lines come first
                words = line.split()
                if len(words) == 2 and words[0] == "PORT":
                    port = words[1]
                    break
            if port is None:
                fail("the harness ended without reporting its port")
            base = "http://127.0.0.1:" + port

            # The API refuses the halt without the token, before any browser is involved.
            status, _ = http("POST", base + "/api/halt", {"reason": "no token"})
            if status != 401:
                fail("halt without a token answered %d, expected 401" % status)

            deadline = time.time() + WAIT_SECONDS
            while True:
                try:
                    http("GET", "http://127.0.0.1:%d/status" % driver_port)
                    break
                except OSError:
                    if time.time() > deadline:
                        fail("chromedriver did not start")
                    time.sleep(0.1)
            driver.start(profile)
            driver.call("POST", driver.s("/url"), {"url": base + "/"})
            driver.wait_text("#state", lambda t: t == "RUNNING", "the page shows the state")
            positions = driver.wait_text("#positions", lambda t: "BTC/USD" in t,
                                         "the page shows positions")
            print("page loaded: state RUNNING, positions: " + positions.replace("\n", " | "))

            token_box = driver.find("#token")
            driver.call("POST", driver.s("/element/" + token_box + "/value"), {"text": TOKEN})
            reason_box = driver.find("#reason")
            driver.call("POST", driver.s("/element/" + reason_box + "/value"),
                        {"text": "browser test"})
            driver.call("POST", driver.s("/element/" + driver.find("#halt-button") + "/click"), {})
            driver.call("POST", driver.s("/alert/accept"), {})  # the confirmation dialog
            driver.wait_text("#state", lambda t: t == "HALTED", "the halt button halts")
            driver.wait_text("#reasons", lambda t: "browser test" in t, "the reason is shown")
            status, text = http("GET", base + "/api/status")
            state = json.loads(text)
            if status != 200 or state["state"] != "HALTED":
                fail("/api/status after the click: %d %s" % (status, text[:300]))
            if state["reasons"][0]["source"] != "operator:dashboard":
                fail("unexpected halt source %r" % state["reasons"][0]["source"])
            print("halt button: state HALTED, reason %r" % state["reasons"][0]["detail"])
        finally:
            driver.stop()
            driver_process.terminate()
            driver_process.wait()
            server.stdin.close()
            server.wait(timeout=WAIT_SECONDS)
    print("PASS")


if __name__ == "__main__":
    main()
