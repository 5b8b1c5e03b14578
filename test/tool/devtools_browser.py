#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""devtools_browser.py - headless Chromium driven over the DevTools protocol
on a pipe, for the tests that check what a browser shows
(flamegraph_browser.py, timeline_browser.py). No dependency beyond the
standard library and Debian's `chromium` package."""
import fcntl
import json
import os
import select
import shutil
import subprocess


def find_chromium():
    """The chromium executable, or None (the caller skips, saying so)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """Chromium over --remote-debugging-pipe: fd 3 commands, fd 4 replies,
    each message JSON ended by a NUL byte."""

    def __init__(self, exe, profile):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Keep our ends clear of fds 3 and 4, which the child needs.
        fds = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
               for fd in (to_child_r, to_child_w, from_child_r, from_child_w)]
        for fd in (to_child_r, to_child_w, from_child_r, from_child_w):
            os.close(fd)
        r_child, self.w, self.r, w_child = fds

        def child_fds():
            os.dup2(r_child, 3)
            os.dup2(w_child, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage",
             "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "--no-first-run", "--no-default-browser-check",
             "--window-size=1300,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False)
        os.close(r_child)
        os.close(w_child)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.dialogs = []  # (type, message) of every dialog opened
        self.answers = []  # prompt texts to give, in order
        self.errors = []  # uncaught script exceptions

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self):
        while b"\0" not in self.buf:
            # A browser that hangs fails the test instead of the ctest timeout.
            if not select.select([self.r], [], [], 120)[0]:
                raise RuntimeError("chromium did not answer in 120 s")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def event(self, msg):
        method = msg.get("method")
        if method == "Page.javascriptDialogOpening":
            p = msg["params"]
            self.dialogs.append((p["type"], p["message"]))
            text = self.answers.pop(0) if self.answers else ""
            self.send("Page.handleJavaScriptDialog",
                      {"accept": bool(text), "promptText": text})
        elif method == "Runtime.exceptionThrown":
            self.errors.append(msg["params"]["exceptionDetails"])
        return method

    def call(self, method, params=None, session=True):
        want = self.send(method, params, session)
        while True:
            msg = self.read()
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.event(msg)

    def wait_event(self, name):
        while True:
            msg = self.read()
            if "method" in msg and self.event(msg) == name:
                return msg

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"},
                           session=False)["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1300, "height": 900, "deviceScaleFactor": 1,
                   "mobile": False})
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def eval(self, expr):
        r = self.call("Runtime.evaluate",
                      {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def mouse(self, kind, x, y):
        self.call("Input.dispatchMouseEvent",
                  {"type": kind, "x": x, "y": y, "button": "left",
                   "clickCount": 1})

    def click_at(self, x, y):
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y)

    def key(self, key, code, keycode, modifiers=0):
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent",
                      {"type": kind, "key": key, "code": code,
                       "windowsVirtualKeyCode": keycode,
                       "modifiers": modifiers})

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
